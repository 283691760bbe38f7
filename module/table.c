// SPDX-License-Identifier: GPL-2.0
/*
 * The registry's table: registered entries by task pointer, in an open
 * addressing hash table that BPF programs search without a lock, a call
 * or a nested RCU section (uls_table_find() in uls.h).
 *
 * Why not an xarray by pid: xa_load() is an out-of-line call that nests
 * rcu_read_lock() and walks one node per 6 bits of the pid, and the pid
 * must first be read from the task; the kfunc cost several times a task
 * storage lookup. Here a lookup is a multiply, the slot, and the entry's
 * first cache line. Keyed by the task pointer, a recycled pid can never
 * reach a dead thread's entry, and that pointer cannot be reused while an
 * entry in the table holds its reference on the task (registry.c lets go
 * when the entry leaves the table).
 *
 * Writers hold uls_registry_lock. They fill empty slots, replace an entry
 * with a newer one of the same task, and turn removed entries into
 * tombstones, so a reader's probe sequence is never cut short under it.
 * A resize builds a new table and publishes it whole; the old one is
 * freed after the grace periods of both kinds of BPF programs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/rcupdate_trace.h>

#include "uls.h"

#define ULS_TABLE_MIN_BITS	6
#define ULS_TABLE_MAX_BITS	24

struct uls_table {
	struct uls_entry **slots;
	unsigned int bits;
	unsigned int used;		/* entries */
	unsigned int filled;		/* entries and tombstones */
	struct rcu_head rcu;
};

/*
 * What empty and emptied slots hold. Neither is any task's, and both are
 * gone (room < 0), so a lookup of a NULL task, which 6.1 lets programs
 * make, finds nothing through them either. Empty slots point somewhere,
 * not to NULL, so that a lookup's first comparison, of the task, is the
 * only one on its way to a hit.
 */
struct uls_entry uls_empty = { .room = ULS_ROOM_EXITED };
struct uls_entry uls_tombstone = { .room = ULS_ROOM_EXITED };

static struct uls_entry *uls_table0_slots[1 << ULS_TABLE_MIN_BITS]
	__aligned(ULS_TABLE_SHIFT_MASK + 1) = {
	[0 ... (1 << ULS_TABLE_MIN_BITS) - 1] = &uls_empty,
};
static struct uls_table uls_table0 = {
	.slots = uls_table0_slots,
	.bits = ULS_TABLE_MIN_BITS,
};
static struct uls_table *uls_table = &uls_table0;

unsigned long uls_table_word = (unsigned long)uls_table0_slots +
			       (BITS_PER_LONG - ULS_TABLE_MIN_BITS);

static unsigned long uls_table_size(const struct uls_table *t)
{
	return 1UL << t->bits;
}

static void uls_table_free(struct uls_table *t)
{
	kvfree(t->slots);
	kfree(t);
}

static void uls_table_rcu_done(struct rcu_head *rcu)
{
	uls_table_free(container_of(rcu, struct uls_table, rcu));
}

static void uls_table_rcu_tasks_trace_done(struct rcu_head *rcu)
{
	call_rcu(rcu, uls_table_rcu_done);
}

/* Where @e goes in @t, which has room and no entry of its task. */
static void uls_table_place(struct uls_table *t, struct uls_entry *e)
{
	unsigned long mask = uls_table_size(t) - 1;
	unsigned long i = uls_table_hash(e->task, BITS_PER_LONG - t->bits);

	while (t->slots[i] != &uls_empty)
		i = (i + 1) & mask;
	t->slots[i] = e;
	t->used++;
	t->filled++;
}

/*
 * Move to a table of 2^@bits slots, without tombstones. Readers see the
 * old table or the new one, each complete.
 */
static int uls_table_resize(unsigned int bits)
{
	struct uls_table *old = uls_table, *t;
	unsigned long i;

	/*
	 * Charged to the memory cgroup of the thread whose registration
	 * grew the table, like its entries: many threads of one cgroup are
	 * what make it large.
	 */
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	t->bits = bits;
	/* A power of two of at least 512 bytes: aligned to its size. */
	t->slots = kvmalloc_array(uls_table_size(t), sizeof(*t->slots),
				  GFP_KERNEL_ACCOUNT);
	if (!t->slots) {
		kfree(t);
		return -ENOMEM;
	}
	for (i = 0; i < uls_table_size(t); i++)
		t->slots[i] = &uls_empty;
	if (WARN_ON_ONCE((unsigned long)t->slots & ULS_TABLE_SHIFT_MASK)) {
		uls_table_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < uls_table_size(old); i++) {
		struct uls_entry *e = old->slots[i];

		if (e != &uls_empty && e != &uls_tombstone)
			uls_table_place(t, e);
	}

	uls_table = t;
	/* The slots are filled before readers can find them. */
	smp_store_release(&uls_table_word, (unsigned long)t->slots |
					   (BITS_PER_LONG - bits));
	if (old != &uls_table0)
		call_rcu_tasks_trace(&old->rcu, uls_table_rcu_tasks_trace_done);
	return 0;
}

/* The fewest bits that hold @n entries at most half full. */
static unsigned int uls_table_bits_for(unsigned long n)
{
	unsigned int bits = ULS_TABLE_MIN_BITS;

	while (bits < ULS_TABLE_MAX_BITS && (n << 1) > (1UL << bits))
		bits++;
	return bits;
}

/*
 * Make @e findable, in place of an older entry of its task, which is
 * returned in @old. Under uls_registry_lock.
 */
int uls_table_insert(struct uls_entry *e, struct uls_entry **old)
{
	struct uls_table *t = uls_table;
	struct uls_entry **hole = NULL, *s;
	unsigned long i, mask;

	lockdep_assert_held(&uls_registry_lock);
	/*
	 * At most three quarters full, tombstones included, keeps probe
	 * sequences short; a table can always take one more while a free
	 * slot remains to end every search.
	 */
	if ((t->filled + 1) * 4 > uls_table_size(t) * 3) {
		if (uls_table_resize(uls_table_bits_for(t->used + 1)) &&
		    t->filled + 2 > uls_table_size(t))
			return -ENOMEM;
		t = uls_table;
	}

	mask = uls_table_size(t) - 1;
	for (i = uls_table_hash(e->task, BITS_PER_LONG - t->bits);
	     (s = t->slots[i]) != &uls_empty; i = (i + 1) & mask) {
		if (s->task == e->task) {
			*old = s;
			/* @e is complete before readers can find it. */
			smp_store_release(&t->slots[i], e);
			return 0;
		}
		if (s == &uls_tombstone && !hole)
			hole = &t->slots[i];
	}
	if (!hole) {
		hole = &t->slots[i];
		t->filled++;
	}
	t->used++;
	*old = NULL;
	/* @e is complete before readers can find it. */
	smp_store_release(hole, e);
	return 0;
}

/*
 * Take @e out of the table; false if it was not there (someone else took
 * it, or a newer entry of its task replaced it). Under uls_registry_lock.
 */
bool uls_table_remove(struct uls_entry *e)
{
	struct uls_table *t = uls_table;
	unsigned long mask = uls_table_size(t) - 1;
	unsigned long i;
	struct uls_entry *s;

	lockdep_assert_held(&uls_registry_lock);
	for (i = uls_table_hash(e->task, BITS_PER_LONG - t->bits);
	     (s = t->slots[i]) != &uls_empty; i = (i + 1) & mask)
		if (s == e)
			break;
	if (s != e)
		return false;

	WRITE_ONCE(t->slots[i], &uls_tombstone);
	t->used--;
	/*
	 * A tombstone just before an empty slot ends no search that could
	 * succeed further on: empty it, and those before it likewise.
	 */
	while (t->slots[i] == &uls_tombstone &&
	       t->slots[(i + 1) & mask] == &uls_empty) {
		WRITE_ONCE(t->slots[i], &uls_empty);
		t->filled--;
		i = (i - 1) & mask;
	}
	/* Give memory back once mostly empty; failing that, keep the table. */
	if (t->bits > ULS_TABLE_MIN_BITS && t->used * 16 < uls_table_size(t))
		uls_table_resize(uls_table_bits_for(t->used));
	return true;
}

/*
 * Call @fn on every live entry (room >= 0), with the room it was seen
 * with, for ULS_IOC_LIST. Lock-free, under rcu_read_lock(): @fn must not
 * sleep. It walks the one slot array it loads, whole, so a resize
 * meanwhile makes it neither see an entry twice nor miss one; an entry
 * taken out meanwhile may still be seen (the array may be one a resize
 * already replaced, whose slots no removal updates any more), and is not
 * freed before the walk ends (the reap waits for RCU readers).
 *
 * @fn may dereference @e->task, though a retired entry holds no reference
 * on it (registry.c lets go at the retire): the task's own reference,
 * which the kernel drops in an RCU callback queued when the task is
 * reaped, outlasts the walk. The task's exit marks its entry in the table
 * gone (uls_task_gone()) before the task is reaped. The walk read @e's
 * room before that mark, or else @e's slot before @e left the table and
 * the exit found another: either way before the reaping, whose grace
 * period therefore waits for the walk. Gone entries are never passed.
 */
void uls_table_for_each(void (*fn)(struct uls_entry *e, s32 room, void *arg),
			void *arg)
{
	struct uls_entry **slots;
	unsigned long w, i, size;

	rcu_read_lock();
	w = READ_ONCE(uls_table_word);
	slots = (struct uls_entry **)(w & ~ULS_TABLE_SHIFT_MASK);
	size = 1UL << (BITS_PER_LONG - (w & ULS_TABLE_SHIFT_MASK));
	for (i = 0; i < size; i++) {
		struct uls_entry *e = READ_ONCE(slots[i]);
		s32 room;

		/* Both stand-ins are gone, as are entries of gone tasks. */
		room = READ_ONCE(e->room);
		if (room >= 0)
			fn(e, room, arg);
	}
	rcu_read_unlock();
}

/* The table's size in slots, for the counters. */
unsigned long uls_table_slots(void)
{
	return 1UL << (BITS_PER_LONG -
		       (READ_ONCE(uls_table_word) & ULS_TABLE_SHIFT_MASK));
}

/*
 * Module exit: every entry is gone, and so is every reader. The slot
 * arrays replaced earlier are freed by callbacks, this module's code,
 * after both grace periods (the first callback queues the second): wait
 * for them, then free the current one.
 */
void uls_table_exit(void)
{
	rcu_barrier_tasks_trace();
	rcu_barrier();
	WARN_ON(uls_table->used);
	if (uls_table != &uls_table0)
		uls_table_free(uls_table);
}

#include "selftest/table.c"
