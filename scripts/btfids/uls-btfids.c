// SPDX-License-Identifier: GPL-2.0
/*
 * uls-btfids - resolve and verify the .BTF_ids section of a kernel module
 *
 *   uls-btfids resolve [--base BASE.btf] MODULE.ko
 *   uls-btfids check   [--base BASE.btf] MODULE.ko [--func NAME]...
 *   uls-btfids extract-btf VMLINUX OUT
 *
 * A small stand-in for the kernel's tools/bpf/resolve_btfids, for kernel
 * headers that ship neither vmlinux nor resolve_btfids.  The layout of
 * .BTF_ids comes from include/linux/btf_ids.h:
 *
 *   __BTF_ID__{func,struct,union,typedef}__<name>__<uniq>
 *	4 bytes, the BTF id of the type <name> of that kind
 *   __BTF_ID__set__<name>
 *	u32 cnt, then u32 ids; cnt = st_size / 4 - 1, ids sorted
 *   __BTF_ID__set8__<name>
 *	u32 cnt, u32 flags, then { u32 id, u32 flags } pairs;
 *	cnt = st_size / 8 - 1, pairs sorted by id
 *
 * In a module (ET_REL) st_value is the offset inside .BTF_ids.  Types are
 * looked up in the module's split BTF (.BTF) over the base BTF: the
 * module's .BTF.base section when present (distilled base, pahole 1.28+),
 * else the vmlinux BTF given with --base (raw BTF or an ELF with .BTF).
 *
 * "resolve" patches the section bytes in place with pwrite() at the
 * section's file offset; the rest of the file is not touched.  It is
 * idempotent: a set8 whose ids are already those of this BTF only gets
 * sorted (re-writing ids by position would mix up the flags of a set8
 * that was sorted before).
 *
 * "check" verifies what the kernel relies on: .BTF parses as split BTF,
 * every id is non-zero and names a type of the right kind and name, every
 * set has the cnt its symbol size implies and is sorted, and each --func
 * NAME is a FUNC in some set8.
 *
 * "extract-btf" writes the .BTF section of a kernel's ELF vmlinux to OUT:
 * the base BTF that /sys/kernel/btf/vmlinux shows while that kernel runs,
 * for a kernel that does not (scripts/base-btf.sh).
 */
#define _GNU_SOURCE
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#define BTF_IDS_SEC	".BTF_ids"
#define BTF_SEC		".BTF"
#define BTF_BASE_SEC	".BTF.base"
#define BTF_ID_PREFIX	"__BTF_ID__"

#if __BYTE_ORDER == __LITTLE_ENDIAN
# define ELFDATANATIVE	ELFDATA2LSB
#else
# define ELFDATANATIVE	ELFDATA2MSB
#endif

enum id_kind { K_FUNC, K_STRUCT, K_UNION, K_TYPEDEF, K_SET, K_SET8 };

static const struct {
	const char *prefix;	/* after __BTF_ID__ */
	const char *name;
	int btf_kind;
} kinds[] = {
	[K_FUNC]	= { "func__",    "func",    BTF_KIND_FUNC },
	[K_STRUCT]	= { "struct__",  "struct",  BTF_KIND_STRUCT },
	[K_UNION]	= { "union__",   "union",   BTF_KIND_UNION },
	[K_TYPEDEF]	= { "typedef__", "typedef", BTF_KIND_TYPEDEF },
	[K_SET]		= { "set__",     "set",     -1 },
	[K_SET8]	= { "set8__",    "set8",    -1 },
};

struct btf_id_sym {
	enum id_kind kind;
	char *name;		/* type name, or set name */
	size_t off;		/* offset inside .BTF_ids */
	size_t size;		/* st_size, used for sets */
	__u32 id;		/* resolved BTF id (type symbols) */
	int nr_found;		/* matching types found in BTF */
	int set;		/* index of the enclosing set, or -1 */
	bool matched;		/* check: paired with a set member */
};

struct module {
	const char *path;
	int fd;
	Elf *elf;
	bool swap;		/* ELF byte order is not the host's */
	Elf_Data *btf_data;	/* .BTF */
	Elf_Data *base_data;	/* .BTF.base */
	unsigned char *ids;	/* copy of .BTF_ids contents */
	size_t ids_size;
	off_t ids_offset;	/* sh_offset of .BTF_ids */
	struct btf_id_sym *syms;
	int nr_syms;
	struct btf *base;
	struct btf *btf;
	const char *base_src;
};

static int nr_errors;

static void error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "uls-btfids: ERROR: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nr_errors++;
}

static __u32 get32(const struct module *m, size_t off)
{
	__u32 v;

	memcpy(&v, m->ids + off, sizeof(v));
	return m->swap ? bswap_32(v) : v;
}

static void put32(struct module *m, size_t off, __u32 v)
{
	if (m->swap)
		v = bswap_32(v);
	memcpy(m->ids + off, &v, sizeof(v));
}

/* Type name of @id, for messages. */
static const char *type_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t;

	if (!id || id >= btf__type_cnt(btf))
		return "?";
	t = btf__type_by_id(btf, id);
	return btf__name_by_offset(btf, t->name_off) ?: "?";
}

/* ------------------------------------------------------------------ */
/* ELF                                                                */
/* ------------------------------------------------------------------ */

static int add_sym(struct module *m, const char *name, const GElf_Sym *sym,
		   GElf_Addr ids_addr)
{
	const char *rest = name + strlen(BTF_ID_PREFIX);
	struct btf_id_sym *s;
	size_t off, need, unit;
	char *p;
	int k;

	for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])); k++)
		if (!strncmp(rest, kinds[k].prefix, strlen(kinds[k].prefix)))
			break;
	if (k == (int)(sizeof(kinds) / sizeof(kinds[0]))) {
		error("%s: unsupported symbol %s", m->path, name);
		return -1;
	}

	s = realloc(m->syms, (m->nr_syms + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	m->syms = s;
	s = &m->syms[m->nr_syms];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->set = -1;
	s->name = strdup(rest + strlen(kinds[k].prefix));
	if (!s->name)
		return -ENOMEM;

	if (k != K_SET && k != K_SET8) {
		/* <name>__<uniq>: cut the unique suffix, as resolve_btfids */
		p = strrchr(s->name, '_');
		if (!p || p == s->name || p[-1] != '_' || p - 1 == s->name) {
			error("%s: cannot parse symbol %s", m->path, name);
			free(s->name);
			return -1;
		}
		p[-1] = '\0';
	}

	off = sym->st_value - ids_addr;
	s->size = sym->st_size;
	need = 4;
	if (k == K_SET || k == K_SET8) {
		unit = k == K_SET8 ? 8 : 4;
		if (s->size < unit || s->size % unit) {
			error("%s: %s %s has bad size %zu", m->path,
			      kinds[k].name, s->name, s->size);
			free(s->name);
			return -1;
		}
		need = s->size;
	}
	if (sym->st_value < ids_addr || off > m->ids_size ||
	    m->ids_size - off < need) {
		error("%s: symbol %s lies outside %s", m->path, name,
		      BTF_IDS_SEC);
		free(s->name);
		return -1;
	}
	s->off = off;
	m->nr_syms++;
	return 0;
}

/* Open @path as an ELF file: m->fd, m->elf, m->swap and its @shstrndx. */
static int elf_open(struct module *m, const char *path, bool rdwr,
		    Elf_Cmd cmd, size_t *shstrndx)
{
	GElf_Ehdr ehdr;

	m->path = path;
	m->fd = open(path, rdwr ? O_RDWR : O_RDONLY);
	if (m->fd < 0) {
		error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	elf_version(EV_CURRENT);
	m->elf = elf_begin(m->fd, cmd, NULL);
	if (m->elf && elf_kind(m->elf) != ELF_K_ELF) {
		error("%s: not an ELF file", path);
		return -1;
	}
	if (!m->elf || !gelf_getehdr(m->elf, &ehdr) ||
	    elf_getshdrstrndx(m->elf, shstrndx)) {
		error("%s: cannot read its ELF headers: %s", path,
		      elf_errmsg(-1));
		return -1;
	}
	m->swap = ehdr.e_ident[EI_DATA] != ELFDATANATIVE;
	return 0;
}

/* Find .BTF, .BTF.base, .BTF_ids and the __BTF_ID__ symbols. */
static int module_open(struct module *m, const char *path, bool rdwr)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh = {}, idsh = {};
	size_t shstrndx, ids_ndx = 0;
	Elf_Data *data;
	int i, n, err;

	if (elf_open(m, path, rdwr, ELF_C_READ, &shstrndx))
		return -1;

	while ((scn = elf_nextscn(m->elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			symsh = sh;
			continue;
		}
		name = elf_strptr(m->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, BTF_SEC))
			m->btf_data = elf_getdata(scn, NULL);
		else if (!strcmp(name, BTF_BASE_SEC))
			m->base_data = elf_getdata(scn, NULL);
		else if (!strcmp(name, BTF_IDS_SEC)) {
			ids_ndx = elf_ndxscn(scn);
			idsh = sh;
		}
	}

	if (!ids_ndx)
		return 0;
	if (idsh.sh_type == SHT_NOBITS || (idsh.sh_flags & SHF_COMPRESSED)) {
		error("%s: %s is NOBITS or compressed", path, BTF_IDS_SEC);
		return -1;
	}
	data = elf_getdata(elf_getscn(m->elf, ids_ndx), NULL);
	if (!data || data->d_size != idsh.sh_size) {
		error("%s: cannot read %s: %s", path, BTF_IDS_SEC, elf_errmsg(-1));
		return -1;
	}
	m->ids_size = data->d_size;
	m->ids_offset = idsh.sh_offset;
	m->ids = malloc(m->ids_size ?: 1);
	if (!m->ids)
		return -ENOMEM;
	memcpy(m->ids, data->d_buf, m->ids_size);

	if (!symscn) {
		error("%s: has %s but no symbol table", path, BTF_IDS_SEC);
		return -1;
	}
	data = elf_getdata(symscn, NULL);
	n = symsh.sh_entsize ? symsh.sh_size / symsh.sh_entsize : 0;
	for (i = 0; data && i < n; i++) {
		const char *name;
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx != ids_ndx)
			continue;
		name = elf_strptr(m->elf, symsh.sh_link, sym.st_name);
		if (!name || strncmp(name, BTF_ID_PREFIX, strlen(BTF_ID_PREFIX)))
			continue;
		err = add_sym(m, name, &sym, idsh.sh_addr);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Tie each type symbol lying in the member area of a set to that set.
 * A set8 member must sit on the id half of a pair.
 */
static int assign_sets(struct module *m)
{
	int i, j;

	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *set = &m->syms[i];
		size_t hdr;

		if (set->kind != K_SET && set->kind != K_SET8)
			continue;
		hdr = set->kind == K_SET ? 4 : 8;
		for (j = 0; j < m->nr_syms; j++) {
			struct btf_id_sym *s = &m->syms[j];

			if (s->kind == K_SET || s->kind == K_SET8 ||
			    s->off < set->off + hdr ||
			    s->off >= set->off + set->size)
				continue;
			if (set->kind == K_SET8 && (s->off - set->off) % 8) {
				error("%s: %s %s sits on a flags word of set8 %s",
				      m->path, kinds[s->kind].name, s->name,
				      set->name);
				return -1;
			}
			if (s->set >= 0) {
				error("%s: %s %s is in two sets", m->path,
				      kinds[s->kind].name, s->name);
				return -1;
			}
			s->set = i;
		}
	}
	return 0;
}

static void module_close(struct module *m)
{
	int i;

	btf__free(m->btf);
	btf__free(m->base);
	for (i = 0; i < m->nr_syms; i++)
		free(m->syms[i].name);
	free(m->syms);
	free(m->ids);
	if (m->elf)
		elf_end(m->elf);
	if (m->fd >= 0)
		close(m->fd);
}

/* ------------------------------------------------------------------ */
/* BTF                                                                */
/* ------------------------------------------------------------------ */

/*
 * Split BTF from raw bytes.  libbpf 1.1 (Debian 12) declares
 * btf__new_split() in btf.h but does not implement it, so go through a
 * temp file and btf__parse_raw_split(), which every libbpf >= 0.3 has.
 */
static struct btf *btf_new_split(const void *data, size_t size,
				 struct btf *base)
{
	const char *dir = getenv("TMPDIR");
	struct btf *btf = NULL;
	char path[4096];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/uls-btfids.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, data, size) == (ssize_t)size)
		btf = btf__parse_raw_split(path, base);
	else
		err = errno ?: EIO;
	if (!btf && !err)
		err = errno;
	unlink(path);
	close(fd);
	errno = err;
	return btf;
}

static int load_btf(struct module *m, const char *base_path)
{
	if (!m->btf_data || !m->btf_data->d_size) {
		error("%s: no %s section (module BTF was not generated)",
		      m->path, BTF_SEC);
		return -1;
	}
	if (m->base_data) {
		m->base = btf__new(m->base_data->d_buf, m->base_data->d_size);
		m->base_src = BTF_BASE_SEC " section";
	} else if (base_path) {
		m->base = btf__parse(base_path, NULL);
		m->base_src = base_path;
	} else {
		error("%s: no %s section, --base BASE.btf is needed",
		      m->path, BTF_BASE_SEC);
		return -1;
	}
	if (!m->base) {
		error("cannot parse base BTF from %s: %s", m->base_src,
		      strerror(errno));
		return -1;
	}
	m->btf = btf_new_split(m->btf_data->d_buf, m->btf_data->d_size,
			       m->base);
	if (!m->btf) {
		error("%s: %s does not parse as split BTF over %s: %s",
		      m->path, BTF_SEC, m->base_src, strerror(errno));
		return -1;
	}
	return 0;
}

/* One pass over all types: count and record matches for every symbol. */
static void lookup_ids(struct module *m)
{
	__u32 id, cnt = btf__type_cnt(m->btf);
	int i;

	for (id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(m->btf, id);
		int kind = btf_kind(t);
		const char *name;

		if (kind != BTF_KIND_FUNC && kind != BTF_KIND_STRUCT &&
		    kind != BTF_KIND_UNION && kind != BTF_KIND_TYPEDEF)
			continue;
		name = btf__name_by_offset(m->btf, t->name_off);
		if (!name || !*name)
			continue;
		for (i = 0; i < m->nr_syms; i++) {
			struct btf_id_sym *s = &m->syms[i];

			if (s->kind >= K_SET || kinds[s->kind].btf_kind != kind ||
			    strcmp(s->name, name))
				continue;
			if (!s->nr_found++)
				s->id = id;
			else if (s->nr_found == 2)
				error("%s %s is ambiguous: BTF ids %u and %u",
				      kinds[s->kind].name, s->name, s->id, id);
		}
	}
	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *s = &m->syms[i];

		if (s->kind < K_SET && !s->nr_found)
			error("%s %s not found in BTF of %s (base %s)",
			      kinds[s->kind].name, s->name, m->path,
			      m->base_src);
	}
}

/* Does BTF type @id have the kind and name of symbol @s? */
static bool id_matches(const struct module *m, __u32 id,
		       const struct btf_id_sym *s)
{
	const struct btf_type *t;
	const char *name;

	if (!id || id >= btf__type_cnt(m->btf))
		return false;
	t = btf__type_by_id(m->btf, id);
	name = btf__name_by_offset(m->btf, t->name_off);
	return btf_kind(t) == kinds[s->kind].btf_kind && name &&
	       !strcmp(name, s->name);
}

/* ------------------------------------------------------------------ */
/* Sets                                                               */
/* ------------------------------------------------------------------ */

static int set_cnt(const struct btf_id_sym *set)
{
	return set->size / (set->kind == K_SET8 ? 8 : 4) - 1;
}

/* Offset of member @i of @set. */
static size_t member_off(const struct btf_id_sym *set, int i)
{
	return set->kind == K_SET8 ? set->off + 8 + 8 * i : set->off + 4 + 4 * i;
}

/* Stable insertion sort by id; set8 flags move with their id. */
static void sort_set(struct module *m, const struct btf_id_sym *set)
{
	int i, j, cnt = set_cnt(set);
	size_t step = set->kind == K_SET8 ? 8 : 4;
	unsigned char tmp[8];

	for (i = 1; i < cnt; i++) {
		__u32 id = get32(m, member_off(set, i));

		memcpy(tmp, m->ids + member_off(set, i), step);
		for (j = i; j > 0 && get32(m, member_off(set, j - 1)) > id; j--)
			memcpy(m->ids + member_off(set, j),
			       m->ids + member_off(set, j - 1), step);
		memcpy(m->ids + member_off(set, j), tmp, step);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The ids a set holds now and the ids its member symbols resolve to, both
 * sorted: equal means the set was already resolved against this BTF.
 */
static bool set_is_resolved(struct module *m, int set_idx)
{
	const struct btf_id_sym *set = &m->syms[set_idx];
	int i, n = 0, cnt = set_cnt(set);
	__u32 *have, *want;
	bool same;

	have = calloc(cnt + 1, sizeof(*have));
	want = calloc(cnt + 1, sizeof(*want));
	if (!have || !want) {
		free(have);
		free(want);
		return false;
	}
	for (i = 0; i < cnt; i++)
		have[i] = get32(m, member_off(set, i));
	for (i = 0; i < m->nr_syms && n < cnt; i++)
		if (m->syms[i].set == set_idx)
			want[n++] = m->syms[i].id;
	qsort(have, cnt, sizeof(*have), cmp_u32);
	qsort(want, n, sizeof(*want), cmp_u32);
	same = n == cnt && !memcmp(have, want, cnt * sizeof(*have));
	free(have);
	free(want);
	return same;
}

static bool set_is_zero(struct module *m, const struct btf_id_sym *set)
{
	int i;

	for (i = 0; i < set_cnt(set); i++)
		if (get32(m, member_off(set, i)))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* resolve                                                            */
/* ------------------------------------------------------------------ */

static int do_resolve(struct module *m, const char *base_path)
{
	int i, nr_ids = 0, nr_sets = 0;
	ssize_t wr;

	if (load_btf(m, base_path))
		return -1;
	if (!m->ids) {
		printf("uls-btfids: %s: no %s section, nothing to resolve\n",
		       m->path, BTF_IDS_SEC);
		return 0;
	}
	lookup_ids(m);
	if (nr_errors)
		return -1;

	/* Sets whose ids are already right keep their (id, flags) pairs. */
	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *set = &m->syms[i];
		int j;

		if (set->kind != K_SET8 || set_is_zero(m, set))
			continue;
		if (!set_is_resolved(m, i)) {
			error("%s: set8 %s holds ids that do not match this BTF; relink the module and resolve again",
			      m->path, set->name);
			return -1;
		}
		for (j = 0; j < m->nr_syms; j++)
			if (m->syms[j].set == i)
				m->syms[j].set = -2;	/* leave in place */
	}

	/* Ids first, by position, as resolve_btfids does ... */
	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *s = &m->syms[i];

		if (s->kind >= K_SET || s->set == -2)
			continue;
		put32(m, s->off, s->id);
		nr_ids++;
	}
	/* ... then the set counts, then sort. */
	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *s = &m->syms[i];

		if (s->kind != K_SET && s->kind != K_SET8)
			continue;
		put32(m, s->off, set_cnt(s));
		sort_set(m, s);
		nr_sets++;
	}

	wr = pwrite(m->fd, m->ids, m->ids_size, m->ids_offset);
	if (wr != (ssize_t)m->ids_size) {
		error("%s: cannot write %s: %s", m->path, BTF_IDS_SEC,
		      wr < 0 ? strerror(errno) : "short write");
		return -1;
	}
	if (fsync(m->fd)) {
		error("%s: fsync: %s", m->path, strerror(errno));
		return -1;
	}
	printf("uls-btfids: %s: resolved %d ids and %d sets against %s\n",
	       m->path, nr_ids, nr_sets, m->base_src);
	return 0;
}

/* ------------------------------------------------------------------ */
/* check                                                              */
/* ------------------------------------------------------------------ */

static void check_set(struct module *m, int set_idx)
{
	struct btf_id_sym *set = &m->syms[set_idx];
	int i, j, cnt = set_cnt(set), have = get32(m, set->off);
	int errors = nr_errors;
	__u32 prev = 0;

	printf("  %-4s %-32s cnt=%d:", kinds[set->kind].name, set->name, have);
	for (i = 0; i < cnt; i++) {
		__u32 id = get32(m, member_off(set, i));

		if (id)
			printf(" %s", type_name(m->btf, id));
		else
			printf(" <0>");
		if (set->kind == K_SET8 && get32(m, member_off(set, i) + 4))
			printf("(0x%x)", get32(m, member_off(set, i) + 4));
	}
	printf("\n");

	if (have != cnt)
		error("%s %s: cnt is %d, symbol size says %d (ids not resolved?)",
		      kinds[set->kind].name, set->name, have, cnt);

	for (i = 0; i < cnt; i++) {
		__u32 id = get32(m, member_off(set, i));

		if (!id) {
			error("%s %s: member %d has id 0", kinds[set->kind].name,
			      set->name, i);
			continue;
		}
		if (id < prev)
			error("%s %s: not sorted (%u after %u)",
			      kinds[set->kind].name, set->name, id, prev);
		prev = id;
		/* Sorting moved ids away from their symbols: match by name. */
		for (j = 0; j < m->nr_syms; j++) {
			struct btf_id_sym *s = &m->syms[j];

			if (s->set == set_idx && !s->matched &&
			    id_matches(m, id, s)) {
				s->matched = true;
				break;
			}
		}
		if (j == m->nr_syms)
			error("%s %s: member id %u (%s) matches no BTF_ID of the set",
			      kinds[set->kind].name, set->name, id,
			      type_name(m->btf, id));
	}
	/* Unmatched symbols are only news if every member looked fine. */
	for (j = 0; j < m->nr_syms && errors == nr_errors; j++) {
		struct btf_id_sym *s = &m->syms[j];

		if (s->set == set_idx && !s->matched)
			error("%s %s: %s %s has no matching id in the set",
			      kinds[set->kind].name, set->name,
			      kinds[s->kind].name, s->name);
	}
}

static bool func_in_set8(struct module *m, const char *func)
{
	int i, k;

	for (i = 0; i < m->nr_syms; i++) {
		struct btf_id_sym *set = &m->syms[i];

		if (set->kind != K_SET8)
			continue;
		for (k = 0; k < set_cnt(set); k++) {
			__u32 id = get32(m, member_off(set, k));
			const struct btf_type *t;

			if (!id || id >= btf__type_cnt(m->btf))
				continue;
			t = btf__type_by_id(m->btf, id);
			if (btf_is_func(t) &&
			    !strcmp(type_name(m->btf, id), func))
				return true;
		}
	}
	return false;
}

static int do_check(struct module *m, const char *base_path,
		    const char **funcs, int nr_funcs)
{
	__u32 base_cnt, cnt;
	int i, nr_ids = 0;

	if (load_btf(m, base_path))
		return -1;
	base_cnt = btf__type_cnt(m->base);
	cnt = btf__type_cnt(m->btf);
	printf("uls-btfids: %s: .BTF has %u types over %u base types (%s)\n",
	       m->path, cnt - base_cnt, base_cnt - 1, m->base_src);

	if (!m->ids) {
		printf("  no %s section\n", BTF_IDS_SEC);
	} else {
		for (i = 0; i < m->nr_syms; i++) {
			struct btf_id_sym *s = &m->syms[i];
			__u32 id;

			if (s->kind >= K_SET || s->set >= 0)
				continue;
			id = get32(m, s->off);
			nr_ids++;
			if (!id)
				error("%s %s: id is 0 (ids not resolved)",
				      kinds[s->kind].name, s->name);
			else if (!id_matches(m, id, s))
				error("%s %s: id %u is %s, not a %s of that name",
				      kinds[s->kind].name, s->name, id,
				      id < cnt ? type_name(m->btf, id) : "out of range",
				      kinds[s->kind].name);
		}
		printf("  %d ids outside sets\n", nr_ids);
		for (i = 0; i < m->nr_syms; i++)
			if (m->syms[i].kind == K_SET || m->syms[i].kind == K_SET8)
				check_set(m, i);
	}

	for (i = 0; i < nr_funcs; i++)
		if (!func_in_set8(m, funcs[i]))
			error("%s: kfunc %s is not a FUNC in any set8",
			      m->path, funcs[i]);

	if (nr_errors)
		return -1;
	printf("uls-btfids: %s: OK\n", m->path);
	return 0;
}

/* ------------------------------------------------------------------ */
/* extract-btf                                                        */
/* ------------------------------------------------------------------ */

static int write_file(const char *path, const void *buf, size_t size)
{
	const char *p = buf;
	int fd, err = 0;
	struct stat st;
	bool regular;
	ssize_t wr;
	size_t done;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
	for (done = 0; done < size; done += wr) {
		wr = write(fd, p + done, size - done);
		if (wr > 0)
			continue;
		if (wr < 0 && errno == EINTR) {
			wr = 0;
			continue;
		}
		err = wr ? errno : EIO;
		break;
	}
	if (close(fd) && !err)
		err = errno;
	if (!err)
		return 0;
	error("cannot write %s: %s", path, strerror(err));
	/* No half a BTF left behind; but OUT may be a device: keep that. */
	if (regular)
		unlink(path);
	return -1;
}

/*
 * The bytes go out as they are in the file, in its byte order, as the
 * kernel's /sys/kernel/btf/vmlinux would show them on that machine:
 * libbpf reads either order.
 */
static int do_extract_btf(const char *path, const char *out)
{
	struct module m = { .fd = -1 };
	Elf_Scn *scn = NULL;
	size_t shstrndx, nr_scns;
	Elf_Data *data;
	GElf_Shdr sh;
	__u16 magic;
	int err = -1;

	/* A vmlinux with its DWARF is large: map it, read only .BTF. */
	if (elf_open(&m, path, false, ELF_C_READ_MMAP, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(m.elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(m.elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, BTF_SEC))
			break;
	}
	/* libelf reads a section header table cut short as none at all. */
	if (!scn && (elf_getshdrnum(m.elf, &nr_scns) || !nr_scns)) {
		error("%s: no section headers (a truncated file?)", path);
		goto out;
	}
	if (!scn) {
		error("%s: no %s section (a kernel without CONFIG_DEBUG_INFO_BTF?)",
		      path, BTF_SEC);
		goto out;
	}
	if (sh.sh_type == SHT_NOBITS) {
		error("%s: %s has no contents in this file (NOBITS: a stripped debug file?)",
		      path, BTF_SEC);
		goto out;
	}
	/* The kernel reads its .BTF in place: it is never compressed. */
	if (sh.sh_flags & SHF_COMPRESSED) {
		error("%s: %s is compressed", path, BTF_SEC);
		goto out;
	}
	data = elf_rawdata(scn, NULL);
	if (!data || data->d_size != sh.sh_size) {
		error("%s: cannot read %s: %s", path, BTF_SEC, elf_errmsg(-1));
		goto out;
	}
	magic = 0;
	if (data->d_size >= sizeof(struct btf_header))
		memcpy(&magic, data->d_buf, sizeof(magic));
	if ((m.swap ? bswap_16(magic) : magic) != BTF_MAGIC) {
		error("%s: %s does not start with a BTF header (magic 0x%x)",
		      path, BTF_SEC, BTF_MAGIC);
		goto out;
	}
	err = write_file(out, data->d_buf, data->d_size);
out:
	module_close(&m);
	return err;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: uls-btfids resolve [--base BASE.btf] MODULE.ko\n"
		"       uls-btfids check   [--base BASE.btf] MODULE.ko [--func NAME]...\n"
		"       uls-btfids extract-btf VMLINUX OUT\n"
		"BASE.btf is raw BTF or an ELF with .BTF; it may be omitted when\n"
		"MODULE.ko has a .BTF.base section. extract-btf writes the .BTF\n"
		"section of the ELF file VMLINUX to OUT, as raw BTF.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct module m = { .fd = -1 };
	const char *base = NULL, *path = NULL, *cmd;
	const char **funcs;
	int i, nr_funcs = 0, err;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "extract-btf")) {
		if (argc != 4 || argv[2][0] == '-' || argv[3][0] == '-')
			usage();
		return do_extract_btf(argv[2], argv[3]) ? 1 : 0;
	}
	if (strcmp(cmd, "resolve") && strcmp(cmd, "check"))
		usage();
	funcs = calloc(argc, sizeof(*funcs));
	if (!funcs)
		return 1;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--base") && i + 1 < argc)
			base = argv[++i];
		else if (!strcmp(argv[i], "--func") && i + 1 < argc &&
			 !strcmp(cmd, "check"))
			funcs[nr_funcs++] = argv[++i];
		else if (argv[i][0] == '-' || path)
			usage();
		else
			path = argv[i];
	}
	if (!path)
		usage();

	/* Errors go to stderr, the report to stdout: keep them in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = module_open(&m, path, !strcmp(cmd, "resolve"));
	if (!err)
		err = assign_sets(&m);
	if (!err) {
		if (!strcmp(cmd, "resolve"))
			err = do_resolve(&m, base);
		else
			err = do_check(&m, base, funcs, nr_funcs);
	}
	module_close(&m);
	free(funcs);

	if (err || nr_errors) {
		fprintf(stderr, "uls-btfids: ERROR: %s %s failed\n", cmd, path);
		return 1;
	}
	return 0;
}
