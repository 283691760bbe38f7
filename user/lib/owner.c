// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One owner per process. A thread has one registration, and a process one
 * set of keys, so two copies of libuls in a process (libuls.so.0, and a
 * static libuls.a linked into a DSO or the program) must not each keep
 * their own: they would take each other's memory. As glibc owns rseq and
 * publishes __rseq_offset for other copies to defer to, libuls.so.0 owns
 * uls: it publishes the table of its entry points that have state, and a
 * static copy that finds libuls.so.0 in the process calls through it.
 *
 * The table is found through an ELF note of libuls.so.0, with
 * dl_iterate_phdr(): no dlopen(), which static programs cannot link
 * without a warning, and libuls.so.0 is found however it was loaded
 * (RTLD_LOCAL too). A static copy looks once, at its first call that has
 * state: libuls.so.0 loaded after that is a second owner. Even then
 * nothing is lost silently: each registers a thread with
 * ULS_REGISTER_EXCL, and the second gets EBUSY.
 */
#include <link.h>
#include <string.h>

#include "internal.h"

/*
 * The note: name "uls", this type, and the table's offset from the desc.
 * The type is the table's version ("uls2": thread_keys() returns
 * uls.h's struct uls__thread_keys of two fields), so that copies that
 * disagree on it never meet.
 */
#define ULS_NOTE_OWNER	0x756c7332
#define ULS_XSTR(x)	#x
#define ULS_STR(x)	ULS_XSTR(x)

#ifdef ULS_STATIC_COPY

static const struct uls_owner *owner;
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;

struct note {
	ElfW(Word) namesz, descsz, type;
	char name[4];
	int64_t table;		/* relative to this field */
};

static int owner_note(struct dl_phdr_info *info, size_t size, void *unused)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(struct note) <= end) {
			const struct note *n = (const void *)p;

			if (n->type == ULS_NOTE_OWNER && n->namesz == 4 &&
			    !memcmp(n->name, "uls", 4) && n->descsz == 8) {
				const struct uls_owner *o = (const void *)
					((const char *)&n->table + n->table);

				if (o->size >= sizeof(*o))
					owner = o;
				return 1;
			}
			p += 12 + ((n->namesz + 3) & ~3u) +
			     ((n->descsz + 3) & ~3u);
		}
	}
	return 0;
}

static void owner_find(void)
{
	dl_iterate_phdr(owner_note, NULL);
}

const struct uls_owner *uls_owner(void)
{
	pthread_once(&owner_once, owner_find);
	return owner;
}

#else /* libuls.so.0: the owner */

const struct uls_owner *uls_owner(void)
{
	return NULL;
}

static int owner_fd(void)
{
	return uls_fd();
}

const struct uls_owner uls_owner_table = {
	.size = sizeof(struct uls_owner),
	.fd = owner_fd,
	.reg = uls_register,
	.unreg = uls_unregister,
	.area = uls_area,
	.key_create = uls_key_create_flags,
	.key_get_slow = uls__key_get_slow,
	.thread_keys = uls_keys_of_thread,
};

/*
 * A link-time offset: no relocation at load time, so the note stays
 * read-only.
 */
__asm__(".pushsection .note.uls, \"a\", @note\n"
	".balign 4\n"
	".long 4\n"			/* namesz */
	".long 8\n"			/* descsz */
	".long " ULS_STR(ULS_NOTE_OWNER) "\n"
	".asciz \"uls\"\n"
	"1: .quad uls_owner_table - 1b\n"
	".popsection\n");

#endif
