// SPDX-License-Identifier: GPL-2.0
/*
 * The table's self-test, built in debug builds only (make ULS_DEBUG=y) and
 * run at load, before anything else can see the table (main.c). Included
 * at the end of table.c, whose internals it checks.
 *
 * Tens of thousands of random inserts, replaces and removes, from a fixed
 * seed, go through the real uls_table_insert(), uls_table_remove() and
 * uls_table_find(), and each outcome is compared with a reference too
 * simple to be wrong: an array that holds, for each of the test's keys
 * (fake task pointers), its current entry or NULL. The phases fill the
 * table until it grows to 8192 slots, drain it until it shrinks back to
 * the smallest size, churn at a steady size to pile up tombstones, and end
 * with the table empty. After each resize and every few hundred
 * operations the whole table is checked: every key found or not as the
 * reference says, each slot's entry the reference's, the counts of entries
 * and tombstones, what uls_table_for_each() walks, no tombstone just
 * before an empty slot (the clean-up), the load within bounds and the size
 * no larger than the shrink allows.
 *
 * The test then puts the table back as it was at load. Nothing reads the
 * table meanwhile: the kfuncs, the probes and the device come later.
 */
#ifdef ULS_DEBUG

#define ULS_ST_KEYS	4096	/* enough to grow the table to 8192 slots */
#define ULS_ST_SEED	0x756c732d7461626cULL	/* fixed: failures repeat */
#define ULS_ST_CHECK_EVERY 256	/* operations between whole-table checks */

/* One phase: reach @target entries, then go on for @churn operations. */
struct uls_st_phase {
	unsigned int target, churn;
};

static const struct uls_st_phase uls_st_phases[] __initconst = {
	{ 3000, 0 },	/* grow to 8192 slots */
	{ 1000, 0 },	/* shrink some */
	{ 2900, 0 },
	{ 0, 0 },	/* shrink all the way, to the smallest table */
	{ 40, 3000 },	/* around the smallest table's grow point, 48 */
	{ 0, 0 },
	{ 1000, 20000 },	/* half full: tombstones pile up, rebuilds */
	{ 5, 2000 },
	{ 0, 0 },	/* and end empty */
};

struct uls_st {
	/* Each key's two entries: a replace swaps one for the other. */
	struct uls_entry pool[ULS_ST_KEYS][2];
	/* The reference: each key's entry in the table, or NULL. */
	struct uls_entry *ref[ULS_ST_KEYS];
	/* Keys, those with an entry first (@nr of them); @pos: where. */
	u32 keys[ULS_ST_KEYS], pos[ULS_ST_KEYS];
	unsigned int nr;
	u64 rng;
	unsigned long ops;
	const char *op;			/* for messages */
	/* What the operations met, which the test must have covered. */
	unsigned long grows, shrinks, rebuilds, wraps, tombs_reused,
		      tombs_kept, tombs_cleaned, stale_removes;
	char name[2][32];		/* for messages */
};

/* Key @k's task: never dereferenced, only hashed and compared. */
static struct task_struct * __init uls_st_task(u32 k)
{
	/* Not NULL (the empty slot's task), spaced like task_structs. */
	return (struct task_struct *)(0xffff888100000000UL + (k + 1) * 0x2a40UL);
}

/* xorshift64*: deterministic, and the same on every kernel. */
static u32 __init uls_st_rand(struct uls_st *st, u32 n)
{
	u64 x = st->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return ((x * 0x2545f4914f6cdd1dULL) >> 32) * n >> 32;
}

/* @e's index in the pool (key * 2 + which of its two), or -1. */
static long __init uls_st_index(struct uls_st *st, const struct uls_entry *e)
{
	unsigned long off = (unsigned long)e - (unsigned long)st->pool;

	if (off >= sizeof(st->pool) || off % sizeof(*e))
		return -1;
	return off / sizeof(*e);
}

/* For messages: @e, in @st's buffer @i. */
static const char * __init uls_st_name(struct uls_st *st, int i,
				       const struct uls_entry *e)
{
	long n;

	if (!e)
		return "NULL";
	if (e == &uls_empty)
		return "the empty slot";
	if (e == &uls_tombstone)
		return "a tombstone";
	n = uls_st_index(st, e);
	if (n < 0)
		return "no entry of the test";
	snprintf(st->name[i], sizeof(st->name[i]), "key %ld's entry %ld",
		 n / 2, n % 2);
	return st->name[i];
}

static __printf(2, 3) bool __init uls_st_fail(struct uls_st *st,
					      const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("table self-test FAILED at operation %lu (%s; %u entries, table of %lu slots): %pV\n",
	       st->ops, st->op, st->nr, uls_table_size(uls_table), &vaf);
	va_end(args);
	return false;
}

/* Key @k has the entry the reference says. */
static bool __init uls_st_find(struct uls_st *st, u32 k)
{
	struct uls_entry *want = st->ref[k] ?: &uls_empty, *e, *live;

	rcu_read_lock();
	e = uls_table_find(uls_st_task(k));
	live = uls_entry_of(uls_st_task(k));
	rcu_read_unlock();
	if (e != want)
		return uls_st_fail(st, "key %u: found %s, want %s", k,
				   uls_st_name(st, 0, e),
				   uls_st_name(st, 1, want));
	if (live != st->ref[k])
		return uls_st_fail(st, "key %u: uls_entry_of() gave %s", k,
				   uls_st_name(st, 0, live));
	return true;
}

/* What uls_table_for_each() showed of the table. */
struct uls_st_walk {
	struct uls_st *st;
	unsigned int seen, strangers;
};

static void __init uls_st_walk_one(struct uls_entry *e, s32 room, void *arg)
{
	struct uls_st_walk *w = arg;
	long n = uls_st_index(w->st, e);

	w->seen++;
	if (n < 0 || w->st->ref[n / 2] != e || room != e->room)
		w->strangers++;
}

/* The whole table against the reference, and the table's invariants. */
static bool __init uls_st_check(struct uls_st *st)
{
	struct uls_table *t = uls_table;
	unsigned long size = uls_table_size(t), mask = size - 1, i;
	unsigned int entries = 0, tombs = 0, empties = 0;
	struct uls_st_walk walk = { .st = st };
	u32 k;

	if (READ_ONCE(uls_table_word) !=
	    ((unsigned long)t->slots | (BITS_PER_LONG - t->bits)))
		return uls_st_fail(st, "uls_table_word is not the table's");
	if (uls_table_slots() != size)
		return uls_st_fail(st, "uls_table_slots() says %lu",
				   uls_table_slots());
	if (t->bits < ULS_TABLE_MIN_BITS || t->bits > ULS_TABLE_MAX_BITS)
		return uls_st_fail(st, "%u bits", t->bits);

	for (i = 0; i < size; i++) {
		struct uls_entry *s = t->slots[i];
		long n = uls_st_index(st, s);

		if (s == &uls_empty) {
			empties++;
			continue;
		}
		if (s == &uls_tombstone) {
			tombs++;
			if (t->slots[(i + 1) & mask] == &uls_empty)
				return uls_st_fail(st, "slot %lu: a tombstone before an empty slot",
						   i);
			continue;
		}
		entries++;
		if (n < 0 || st->ref[n / 2] != s || s->task != uls_st_task(n / 2))
			return uls_st_fail(st, "slot %lu: %s, not in the reference",
					   i, uls_st_name(st, 0, s));
	}
	if (t->slots[0] != &uls_empty && t->slots[mask] != &uls_empty)
		st->wraps++;

	/* A key twice in the table makes more entries than keys. */
	if (entries != st->nr || t->used != st->nr)
		return uls_st_fail(st, "%u entries in the slots, used %u, want %u",
				   entries, t->used, st->nr);
	if (t->filled != entries + tombs)
		return uls_st_fail(st, "filled %u, but %u entries and %u tombstones",
				   t->filled, entries, tombs);
	if (!empties || t->filled * 4UL > size * 3)
		return uls_st_fail(st, "%u of %lu slots filled", t->filled,
				   size);
	if (t->bits > ULS_TABLE_MIN_BITS && t->used * 16UL < size)
		return uls_st_fail(st, "not shrunk: %u entries", t->used);

	/* The walk ULS_IOC_LIST takes: every entry once, and nothing else. */
	uls_table_for_each(uls_st_walk_one, &walk);
	if (walk.seen != st->nr || walk.strangers)
		return uls_st_fail(st, "the walk saw %u entries, %u not in the reference, want %u",
				   walk.seen, walk.strangers, st->nr);

	for (k = 0; k < ULS_ST_KEYS; k++)
		if (!uls_st_find(st, k))
			return false;
	return true;
}

/*
 * Before and after one operation: the table it ran on, and its counts.
 * A changed table is a resize, which leaves no tombstone.
 */
struct uls_st_before {
	struct uls_table *t;
	unsigned int bits, used, filled;
};

static void __init uls_st_before(struct uls_st_before *b)
{
	b->t = uls_table;
	b->bits = uls_table->bits;
	b->used = uls_table->used;
	b->filled = uls_table->filled;
}

static bool __init uls_st_resized(struct uls_st *st,
				  const struct uls_st_before *b)
{
	if (uls_table == b->t)
		return false;
	if (uls_table->bits > b->bits)
		st->grows++;
	else if (uls_table->bits < b->bits)
		st->shrinks++;
	else
		st->rebuilds++;
	return true;
}

/* Key @k's other entry takes its place, or a place if it had none. */
static bool __init uls_st_insert(struct uls_st *st, u32 k)
{
	struct uls_entry *want = st->ref[k], *old = &uls_tombstone;
	struct uls_entry *e = &st->pool[k][want == &st->pool[k][0]];
	struct uls_st_before b;
	int ret;

	st->op = want ? "replace" : "insert";
	uls_st_before(&b);
	ret = uls_table_insert(e, &old);
	if (ret)
		return uls_st_fail(st, "key %u: error %d", k, ret);
	if (old != want)
		return uls_st_fail(st, "key %u: replaced %s, want %s", k,
				   uls_st_name(st, 0, old),
				   uls_st_name(st, 1, want));
	st->ref[k] = e;
	if (!want) {
		/* Key @k moves to the keys with an entry. */
		u32 j = st->keys[st->nr];

		swap(st->keys[st->pos[k]], st->keys[st->nr]);
		st->pos[j] = st->pos[k];
		st->pos[k] = st->nr++;
	}

	if (uls_st_resized(st, &b)) {
		if (uls_table->filled != uls_table->used)
			return uls_st_fail(st, "resized, yet %u tombstones",
					   uls_table->filled - uls_table->used);
	} else if (uls_table->used != b.used + !want) {
		return uls_st_fail(st, "used %u, was %u", uls_table->used,
				   b.used);
	} else if (!want && uls_table->filled == b.filled) {
		st->tombs_reused++;
	}
	return uls_st_find(st, k);
}

/* Key @k's entry leaves the table. */
static bool __init uls_st_remove(struct uls_st *st, u32 k)
{
	struct uls_entry *e = st->ref[k];
	struct uls_st_before b;
	u32 j;

	st->op = "remove";
	uls_st_before(&b);
	if (!uls_table_remove(e))
		return uls_st_fail(st, "key %u: %s not found", k,
				   uls_st_name(st, 0, e));
	st->ref[k] = NULL;
	/* Key @k moves to the keys without one. */
	j = st->keys[--st->nr];
	swap(st->keys[st->pos[k]], st->keys[st->nr]);
	st->pos[j] = st->pos[k];
	st->pos[k] = st->nr;

	if (uls_st_resized(st, &b)) {
		if (uls_table->filled != uls_table->used)
			return uls_st_fail(st, "resized, yet %u tombstones",
					   uls_table->filled - uls_table->used);
	} else if (uls_table->used != b.used - 1) {
		return uls_st_fail(st, "used %u, was %u", uls_table->used,
				   b.used);
	} else if (uls_table->filled == b.filled) {
		st->tombs_kept++;
	} else {
		st->tombs_cleaned++;
	}
	return uls_st_find(st, k);
}

/*
 * An entry of key @k that is not in the table (never inserted, replaced
 * or removed) is not found, and nothing changes, even when @k has another.
 */
static bool __init uls_st_remove_stale(struct uls_st *st, u32 k)
{
	struct uls_entry *e = &st->pool[k][st->ref[k] == &st->pool[k][0]];
	struct uls_st_before b;

	st->op = "remove of an entry not in the table";
	uls_st_before(&b);
	if (uls_table_remove(e))
		return uls_st_fail(st, "key %u: %s removed", k,
				   uls_st_name(st, 0, e));
	if (uls_table != b.t || uls_table->used != b.used ||
	    uls_table->filled != b.filled)
		return uls_st_fail(st, "key %u: the table changed", k);
	st->stale_removes++;
	return uls_st_find(st, k);
}

/*
 * One random operation, making the table grow (@grow) or shrink: an
 * insert of a new key, a replace, a remove, a remove of an entry that is
 * not in the table.
 */
static bool __init uls_st_step(struct uls_st *st, bool grow)
{
	u32 r = uls_st_rand(st, 100), new = grow ? 60 : 15;
	bool ok;

	st->ops++;
	if (!st->nr || (r < new && st->nr < ULS_ST_KEYS))
		ok = uls_st_insert(st, st->keys[st->nr +
				   uls_st_rand(st, ULS_ST_KEYS - st->nr)]);
	else if (r < new + 15)
		ok = uls_st_insert(st, st->keys[uls_st_rand(st, st->nr)]);
	else if (r < 90)
		ok = uls_st_remove(st, st->keys[uls_st_rand(st, st->nr)]);
	else
		ok = uls_st_remove_stale(st, uls_st_rand(st, ULS_ST_KEYS));

	if (ok && !(st->ops % ULS_ST_CHECK_EVERY)) {
		st->op = "periodic check";
		ok = uls_st_check(st);
		cond_resched();
	}
	return ok;
}

/* One step, and the whole table checked if it was resized. */
static bool __init uls_st_step_check(struct uls_st *st, bool grow)
{
	struct uls_table *t = uls_table;

	if (!uls_st_step(st, grow))
		return false;
	if (uls_table == t)
		return true;
	st->op = "check after a resize";
	return uls_st_check(st);
}

static bool __init uls_st_run(struct uls_st *st)
{
	const struct uls_st_phase *p;
	unsigned int i;

	for (p = uls_st_phases; p < uls_st_phases + ARRAY_SIZE(uls_st_phases);
	     p++) {
		while (st->nr != p->target)
			if (!uls_st_step_check(st, st->nr < p->target))
				return false;
		for (i = 0; i < p->churn; i++)
			if (!uls_st_step_check(st, st->nr < p->target))
				return false;
		st->op = "end of a phase";
		if (!uls_st_check(st))
			return false;
	}

	st->op = "coverage";
	if (!st->grows || !st->shrinks || !st->rebuilds || !st->wraps ||
	    !st->tombs_reused || !st->tombs_kept || !st->tombs_cleaned ||
	    !st->stale_removes)
		return uls_st_fail(st, "some case never came up: %lu grows, %lu shrinks, %lu rebuilds, %lu wraps, %lu tombstones reused, %lu kept, %lu cleaned, %lu stale removes",
				   st->grows, st->shrinks, st->rebuilds,
				   st->wraps, st->tombs_reused, st->tombs_kept,
				   st->tombs_cleaned, st->stale_removes);
	return true;
}

/*
 * Put the table back as it is at load: table 0, empty. Nothing reads it
 * yet, so its last array can go now; the caller waits for the callbacks
 * freeing those before it.
 */
static void __init uls_st_reset(void)
{
	unsigned long i;

	if (uls_table != &uls_table0)
		uls_table_free(uls_table);
	for (i = 0; i < uls_table_size(&uls_table0); i++)
		uls_table0.slots[i] = &uls_empty;
	uls_table0.used = 0;
	uls_table0.filled = 0;
	uls_table = &uls_table0;
	WRITE_ONCE(uls_table_word, (unsigned long)uls_table0.slots |
				   (BITS_PER_LONG - uls_table0.bits));
}

bool __init uls_table_selftest(void)
{
	struct uls_st *st;
	bool ok;
	u32 k;

	/* Failing, the allocator says why. */
	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return false;
	st->rng = ULS_ST_SEED;
	for (k = 0; k < ULS_ST_KEYS; k++) {
		st->pool[k][0].task = uls_st_task(k);
		st->pool[k][0].room = 1;
		st->pool[k][1] = st->pool[k][0];
		st->keys[k] = k;
		st->pos[k] = k;
	}

	mutex_lock(&uls_registry_lock);
	st->op = "start";
	ok = uls_st_check(st) && uls_st_run(st);
	uls_st_reset();
	mutex_unlock(&uls_registry_lock);
	/*
	 * The arrays replaced meanwhile are freed by callbacks, this
	 * module's code, which a failed load takes away: wait for them.
	 */
	rcu_barrier_tasks_trace();
	rcu_barrier();

	if (ok)
		pr_info("table self-test: %lu operations passed (%lu grows, %lu shrinks, %lu rebuilds, %lu tombstones reused, %lu kept, %lu cleaned)\n",
			st->ops, st->grows, st->shrinks, st->rebuilds,
			st->tombs_reused, st->tombs_kept, st->tombs_cleaned);
	kvfree(st);
	return ok;
}

#endif /* ULS_DEBUG */
