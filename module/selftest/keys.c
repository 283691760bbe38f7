// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_uls_key_get()'s self-test, built in debug builds only (make
 * ULS_DEBUG=y) and run at load (main.c). Included at the end of
 * kfuncs.c, whose internals it checks.
 *
 * A keyed region is laid out in a buffer as libuls lays it out, then
 * broken in each of the ways a thread could break its own: a loop, a
 * descriptor out of line, out of bounds or past the region's end, a
 * wrong magic, a chain longer than ULS_KEYS_MAX. The walk must end, find
 * what is there and nothing else; the lookup must hit without a walk
 * once its row is filled, end without one where the row says the key is
 * absent, and keep within a cache of any size.
 */
#ifdef ULS_DEBUG

#define ULS_STK_A	0x1111111111111111ULL
#define ULS_STK_B	0x2222222222222222ULL
#define ULS_STK_C	0x3333333333333333ULL
#define ULS_STK_NONE	0x4444444444444444ULL
#define ULS_STK_LEN	(64 << 10)

struct uls_stk {
	void *buf;
	unsigned int checks, failed;
};

static void __init uls_stk_expect(struct uls_stk *t, bool ok, const char *what)
{
	t->checks++;
	if (!ok) {
		t->failed++;
		pr_err("keys self-test: %s\n", what);
	}
}

static struct uls_key_desc * __init uls_stk_desc(void *buf, u32 off, u64 hash,
						 u32 size, u32 next)
{
	struct uls_key_desc *d = buf + off;

	d->hash = hash;
	d->size = size;
	d->next = next;
	return d;
}

/* Header, then A (8 bytes) at 64, B (64) at 96, C (16) at 176: 208 bytes. */
static void __init uls_stk_layout(void *buf)
{
	struct uls_keys_header *h = buf;

	memset(buf, 0, ULS_STK_LEN);
	h->magic = ULS_KEYS_MAGIC;
	h->version = ULS_KEYS_VERSION;
	h->first = 64;
	uls_stk_desc(buf, 64, ULS_STK_A, 8, 96);
	uls_stk_desc(buf, 96, ULS_STK_B, 64, 176);
	uls_stk_desc(buf, 176, ULS_STK_C, 16, 0);
}

/* A descriptor rewritten into the layout, and a key the walk must miss. */
struct uls_stk_break {
	u32 off;
	u64 hash;
	u32 size, next;
	u64 find;
	const char *what;
};

static const struct uls_stk_break uls_stk_breaks[] __initconst = {
	{ 176, ULS_STK_C, 16, 64, ULS_STK_NONE, "a loop back to A" },
	{ 176, ULS_STK_C, 16, 176, ULS_STK_NONE, "a descriptor that is its own next" },
	{ 64, ULS_STK_A, 8, 100, ULS_STK_B, "a next out of line" },
	{ 64, ULS_STK_A, 8, ULS_KEYS_CAPACITY_MAX, ULS_STK_B,
	  "a next past the keys' capacity" },
};

static void __init uls_stk_walks(struct uls_stk *t)
{
	void *b = t->buf;
	struct uls_keys_header *h = b;
	u32 i, off;

	uls_stk_layout(b);
	uls_stk_expect(t, uls_key_find(b, 208, ULS_STK_A, 8) == 64, "find A");
	uls_stk_expect(t, uls_key_find(b, 208, ULS_STK_B, 64) == 96, "find B");
	uls_stk_expect(t, !uls_key_find(b, 208, ULS_STK_B, 65),
		       "B asked larger than it is");
	uls_stk_expect(t, uls_key_find(b, 208, ULS_STK_C, 16) == 176, "find C");
	uls_stk_expect(t, !uls_key_find(b, 208, ULS_STK_NONE, 8), "no such key");
	uls_stk_expect(t, !uls_key_find(b, 207, ULS_STK_C, 16),
		       "C's data past the region's end");
	uls_stk_expect(t, !uls_key_find(b, 190, ULS_STK_C, 0),
		       "C's descriptor past the region's end");
	uls_stk_expect(t, !uls_key_find(b, 63, ULS_STK_A, 8),
		       "a region shorter than the header");
	uls_stk_expect(t, !uls_key_find(b, -1, ULS_STK_A, 8), "a gone region");

	h->magic++;
	uls_stk_expect(t, !uls_key_find(b, 208, ULS_STK_A, 8), "a wrong magic");
	uls_stk_layout(b);
	h->first = 65;
	uls_stk_expect(t, !uls_key_find(b, 208, ULS_STK_A, 8),
		       "a first descriptor out of line");
	for (i = 0; i < ARRAY_SIZE(uls_stk_breaks); i++) {
		const struct uls_stk_break *k = &uls_stk_breaks[i];

		uls_stk_layout(b);
		uls_stk_desc(b, k->off, k->hash, k->size, k->next);
		/* The whole address space as the region: the walk's own checks. */
		uls_stk_expect(t, !uls_key_find(b, S32_MAX, k->find, 8), k->what);
	}

	/* A chain of empty descriptors longer than ULS_KEYS_MAX. */
	uls_stk_layout(b);
	for (i = 0, off = 64; off + 32 <= ULS_STK_LEN; i++, off += 16)
		uls_stk_desc(b, off, ULS_STK_NONE + 1 + i, 0, off + 16);
	uls_stk_desc(b, off - 16, ULS_STK_A, 8, 0);
	uls_stk_expect(t, i > ULS_KEYS_MAX, "the chain is long enough");
	uls_stk_expect(t, !uls_key_find(b, ULS_STK_LEN, ULS_STK_A, 8),
		       "a key past ULS_KEYS_MAX descriptors");
	uls_stk_expect(t, uls_key_find(b, ULS_STK_LEN, ULS_STK_NONE + 1 +
				       ULS_KEYS_MAX - 1, 0) ==
		       64 + 16 * (ULS_KEYS_MAX - 1),
		       "the ULS_KEYS_MAX-th descriptor");
}

/* Two images that share row 1 of a 4-row cache, with different tags. */
#define ULS_STK_IMAGE5	((0x1234ULL << 8 | 5) << ULS_IMAGE_ROW_SHIFT)
#define ULS_STK_IMAGE9	((0x5678ULL << 8 | 9) << ULS_IMAGE_ROW_SHIFT)

/* The row that the image @image8 writes for a descriptor at @off. */
static u64 __init uls_stk_row(u64 image8, u32 off)
{
	union uls_key_row r = { .off8 = off / 8, .tag = uls_key_tag(image8) };

	return r.word;
}

static void __init uls_stk_lookups(struct uls_stk *t)
{
	struct uls_entry e = { .kaddr = t->buf, .room = 208,
			       .image8 = ULS_STK_IMAGE5 };
	u64 cache[5] = {}, walks;
	union uls_key_row r;
	u64 *p;

	uls_stk_layout(t->buf);
	walks = uls_stat_read(ULS_STAT_KEY_WALKS);
	p = uls_key_lookup(&e, cache, 4 * sizeof(u64), ULS_STK_C, 16);
	uls_stk_expect(t, p == t->buf + 192, "C, the row empty");
	uls_stk_expect(t, cache[1] == uls_stk_row(ULS_STK_IMAGE5, 176),
		       "the image's row filled");
	p = uls_key_lookup(&e, cache, 4 * sizeof(u64), ULS_STK_C, 16);
	uls_stk_expect(t, p == t->buf + 192, "C, the row filled");
	uls_stk_expect(t, uls_stat_read(ULS_STAT_KEY_WALKS) == walks + 1,
		       "one walk for both");
	uls_stk_expect(t, !uls_key_lookup(&e, cache, 4 * sizeof(u64),
					  ULS_STK_C, 17), "C asked larger");
	/*
	 * A row the program wrote as it liked: an offset past any region
	 * (in units of 8, so that the data stays aligned) and no image's
	 * tag. The walk finds C and fixes the row.
	 */
	r.off8 = U32_MAX;
	r.tag = 0;
	cache[1] = r.word;
	p = uls_key_lookup(&e, cache, 4 * sizeof(u64), ULS_STK_C, 16);
	uls_stk_expect(t, p == t->buf + 192, "C, the row's offset past the end");
	uls_stk_expect(t, cache[1] == uls_stk_row(ULS_STK_IMAGE5, 176),
		       "the row fixed");

	/* A thread of the image whose region ends before C: no walk. */
	e.room = 176;
	walks = uls_stat_read(ULS_STAT_KEY_WALKS);
	uls_stk_expect(t, !uls_key_lookup(&e, cache, 4 * sizeof(u64),
					  ULS_STK_C, 16), "a region without C");
	uls_stk_expect(t, uls_stat_read(ULS_STAT_KEY_WALKS) == walks,
		       "and no walk");
	e.room = ULS_ROOM_EXITED;
	uls_stk_expect(t, !uls_key_lookup(&e, cache, 4 * sizeof(u64),
					  ULS_STK_A, 8), "a gone entry");
	uls_stk_expect(t, uls_stat_read(ULS_STAT_KEY_WALKS) == walks,
		       "and no walk");

	/* Another image, C elsewhere: the row misleads, the walk fixes it. */
	e.room = 208;
	e.image8 = ULS_STK_IMAGE9;
	uls_stk_desc(t->buf, 96, ULS_STK_C, 64, 176);
	uls_stk_desc(t->buf, 176, ULS_STK_B, 16, 0);
	cache[1] = uls_stk_row(ULS_STK_IMAGE5, 176);
	p = uls_key_lookup(&e, cache, 4 * sizeof(u64), ULS_STK_C, 16);
	uls_stk_expect(t, p == t->buf + 112, "C where this image has it");
	uls_stk_expect(t, cache[1] == uls_stk_row(ULS_STK_IMAGE9, 96),
		       "the row now this image's");

	/* No cache, and caches of sizes that are not rows' powers of two. */
	uls_stk_expect(t, uls_key_lookup(&e, NULL, 0, ULS_STK_C, 16) ==
		       t->buf + 112, "no cache");
	memset(cache, 0, sizeof(cache));
	e.image8 = ((1ULL << ULS_IMAGE_BITS) - 1) << ULS_IMAGE_ROW_SHIFT;
	uls_stk_expect(t, uls_key_lookup(&e, cache, 3 * sizeof(u64),
					 ULS_STK_C, 16) == t->buf + 112,
		       "three rows");
	uls_stk_expect(t, uls_key_lookup(&e, cache, 7, ULS_STK_C, 16) ==
		       t->buf + 112, "less than a row");
	uls_stk_expect(t, !cache[3] && !cache[4], "nothing past the rows");
}

bool __init uls_keys_selftest(void)
{
	struct uls_stk t = {};

	t.buf = kvzalloc(ULS_STK_LEN, GFP_KERNEL);
	if (!t.buf)
		return false;
	uls_stk_walks(&t);
	uls_stk_lookups(&t);
	kvfree(t.buf);
	if (!t.failed)
		pr_info("keys self-test: %u checks passed\n", t.checks);
	return !t.failed;
}

#endif /* ULS_DEBUG */
