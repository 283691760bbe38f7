/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uls: user-local storage.
 *
 * A thread registers a region of its own memory through /dev/uls; BPF
 * programs then reach that memory with the bpf_uls_get() kfunc, and the
 * thread and the programs exchange data with plain loads and stores.
 *
 * Every ioctl acts on the calling thread only, but ULS_IOC_LIST, which
 * reports every thread's, and ULS_IOC_MONITOR, which shows them. All
 * structures have a fixed layout made of
 * __u64/__u32 fields; reserved fields must be zero on input and are zero
 * on output, so that later versions can give them a meaning.
 */
#ifndef _UAPI_LINUX_ULS_H
#define _UAPI_LINUX_ULS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ULS_DEVICE_PATH		"/dev/uls"
#define ULS_ABI_VERSION		1

/*
 * uls_region.addr must be a multiple of this. BPF programs may use atomics
 * on the region: the verifier checks their alignment relative to the
 * pointer a kfunc returns, so that pointer must itself be aligned, or a
 * locked instruction could split a cache line (fatal on x86 with split-lock
 * detection, a fault on arm64). Every access of up to 8 bytes at an offset
 * that is a multiple of its size then stays within one cache line.
 */
#define ULS_REGION_ALIGN	8

/*
 * Flags of struct uls_region.flags.
 *
 * ULS_REGISTER_EXCL: do not take another user's place. Fail with EBUSY if
 * the thread's current registration starts at another address; one that
 * starts at the same address (the same user, growing or shrinking its
 * region) is replaced as usual. Libraries that share a thread with others
 * register with it, so that none silently replaces another's memory
 * (ULS_FEAT_EXCL).
 */
#define ULS_REGISTER_EXCL	(1U << 0)
#define ULS_REGISTER_FLAGS_ALL	ULS_REGISTER_EXCL

/**
 * struct uls_region - a region of the calling thread's memory
 * @addr:	user address of the first byte; a multiple of
 *		ULS_REGION_ALIGN (8)
 * @len:	length in bytes, 1 .. uls_info.max_len
 * @flags:	ULS_REGISTER_* flags
 * @__reserved0: must be 0
 * @__reserved: must be 0
 *
 * ULS_IOC_REGISTER reads it; ULS_IOC_QUERY fills it with the user address
 * and length of the calling thread's current registration.
 */
struct uls_region {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 __reserved0;
	__u64 __reserved[2];
};

/* Bits of struct uls_info.features. */
#define ULS_FEAT_MULTI_PAGE	(1ULL << 0) /* regions may span pages */
#define ULS_FEAT_GET_AT		(1ULL << 1) /* bpf_uls_get_at() exists */
#define ULS_FEAT_EXIT_EXEC	(1ULL << 2) /* exit and exec end registrations */
#define ULS_FEAT_CHARGED	(1ULL << 3) /* pages charged to RLIMIT_MEMLOCK */
#define ULS_FEAT_FREED_SEQ	(1ULL << 4) /* retired_seq, freed_seq and
					       ULS_IOC_WAIT_FREED */
#define ULS_FEAT_EXCL		(1ULL << 5) /* ULS_REGISTER_EXCL */
#define ULS_FEAT_KEY_GET	(1ULL << 6) /* bpf_uls_key_get() exists */
#define ULS_FEAT_LIST		(1ULL << 7) /* ULS_IOC_LIST */
#define ULS_FEAT_MONITOR	(1ULL << 8) /* ULS_IOC_MONITOR */

/**
 * struct uls_info - what this module offers
 * @abi_version: ULS_ABI_VERSION of the module
 * @__reserved0: zero
 * @features:	ULS_FEAT_* bits
 * @max_len:	largest accepted uls_region.len, in bytes
 * @page_size:	the kernel's page size
 * @nr_entries:	registrations alive now, all threads of all processes
 * @nr_pinned_pages: page pins they hold now (a page shared by several
 *		registrations counts once for each)
 * @nr_charged_pages: pages charged now, all processes (a page shared by
 *		several registrations of one process counts once)
 * @max_pinned_pages: the cap on @nr_charged_pages (module parameter)
 * @retired_seq: registrations ended so far, all threads: the number of
 *		the last one to end
 * @freed_seq:	every registration numbered up to this one is freed: no BPF
 *		program can reach its memory any more. Memory registered
 *		before a call that returned @retired_seq N, and unregistered
 *		before that call, is safe to reuse once @freed_seq >= N.
 */
struct uls_info {
	__u32 abi_version;
	__u32 __reserved0;
	__u64 features;
	__u64 max_len;
	__u64 page_size;
	__u64 nr_entries;
	__u64 nr_pinned_pages;
	__u64 nr_charged_pages;
	__u64 max_pinned_pages;
	__u64 retired_seq;
	__u64 freed_seq;
};

/**
 * struct uls_list_entry - one live registration, as ULS_IOC_LIST reports it
 * @pid:	the owner's thread group id, in the caller's pid namespace
 * @tid:	the owner's thread id, in the caller's pid namespace
 * @addr:	user address of the first byte, in the owner's address space
 * @len:	length in bytes
 * @nr_pages:	pages pinned for it
 * @__reserved0: zero
 * @comm:	the owner's comm, NUL-terminated
 */
struct uls_list_entry {
	__s32 pid;
	__s32 tid;
	__u64 addr;
	__u64 len;
	__u32 nr_pages;
	__u32 __reserved0;
	char comm[16];
};

/**
 * struct uls_list - ULS_IOC_LIST's argument
 * @entries:	user pointer to an array of struct uls_list_entry
 * @count:	in: room in @entries; out: how many were filled
 * @total:	out: how many live registrations the caller could see; more
 *		than @count when @entries was too small
 * @flags:	must be 0
 * @__reserved: must be 0
 */
struct uls_list {
	__u64 entries;
	__u32 count;
	__u32 total;
	__u32 flags;
	__u32 __reserved[3];
};

/*
 * The monitor view (ULS_IOC_MONITOR): a read-only, shared mapping of a
 * monitor file that shows another process's registrations, or every
 * process's, without a syscall per look.
 *
 *   offset 0			struct uls_monitor_header
 *   header.entries_offset	struct uls_monitor_entry [header.nr_slots]
 *   header.hash_offset		__u32 [header.hash_size]: tid -> slot + 1
 *   header.regions_offset	slot i's pages at regions_offset +
 *				i * header.slot_stride
 *   header.pages_offset	page j at pages_offset + j * page size
 *
 * Each registration shown has a slot, stable for its life; a slot is
 * reused once its registration ends. Its entry says where its bytes are
 * in the view (@offset, @len): the registered memory itself, the same
 * pages the owner and BPF programs write. A registration of more than
 * one page shows in its slot's pages; one within a single page shows in
 * a page of the pages area, which every registration within the same
 * memory page shares, so that a reader of many small registrations
 * touches each page of memory once. What no registration shows reads as
 * zeroes.
 *
 * Reading an entry, or its memory: load @seq (acquire); if odd, the entry
 * is changing: load again. Read the fields and the memory, then @seq
 * again (after a read barrier): if it changed, the registration ended or
 * was replaced meanwhile, and what was read may be of the next one: read
 * again. libuls's uls_monitor_read() and the like do this.
 */
#define ULS_MONITOR_MAGIC	0x6d736c75	/* "ulsm" */
#define ULS_MONITOR_VERSION	1

/* Flags of struct uls_monitor_args.flags. */
#define ULS_MONITOR_ALL		(1U << 0) /* every process; @pid must be 0 */
#define ULS_MONITOR_FLAGS_ALL	ULS_MONITOR_ALL

/**
 * struct uls_monitor_args - ULS_IOC_MONITOR's argument
 * @pid:	in: the process to watch, a pid in the caller's pid namespace
 *		(any of its threads' ids); 0 with ULS_MONITOR_ALL
 * @flags:	in: ULS_MONITOR_* flags
 * @nr_slots:	in: registrations the view can show at once; 0 for the
 *		module's monitor_max_entries. Out: what it shows.
 * @__reserved0: must be 0
 * @view_size:	out: bytes to map, from offset 0 (ignored on input)
 * @__reserved: must be 0
 */
struct uls_monitor_args {
	__s32 pid;
	__u32 flags;
	__u32 nr_slots;
	__u32 __reserved0;
	__u64 view_size;
	__u64 __reserved[4];
};

/**
 * struct uls_monitor_header - at offset 0 of the view
 * @magic:	ULS_MONITOR_MAGIC
 * @version:	ULS_MONITOR_VERSION
 * @header_size: sizeof(struct uls_monitor_header) of the module
 * @entry_size:	sizeof(struct uls_monitor_entry) of the module
 * @nr_slots:	entries in the index
 * @hash_size:	buckets of the tid hash, a power of two
 * @hash_bits:	log2(@hash_size)
 * @seq:	odd while the tid hash changes: a search that found nothing
 *		is sure only if @seq was even and the same before and after
 * @entries_offset: of entry 0, in bytes from the view's start
 * @hash_offset: of the tid hash
 * @regions_offset: of slot 0's pages
 * @slot_stride: bytes between two slots' pages
 * @view_size:	the whole view's size
 * @nr_live:	entries shown now
 * @lost:	registrations not shown because every slot was taken
 * @updates:	changes so far (adds and removals): unchanged means nothing
 *		to look at
 * @pages_offset: of the pages area (@nr_slots pages), where registrations
 *		within one page show; 0 from a module before it, which
 *		showed every registration in its slot
 * @__reserved: zero
 *
 * The tid hash: bucket uls_monitor_hash(tid, @hash_bits), then the next
 * ones (wrapping around) until one holds 0; a bucket holds a slot number
 * plus 1. The newest registration of a tid is the one the hash finds.
 */
struct uls_monitor_header {
	__u32 magic;
	__u32 version;
	__u32 header_size;
	__u32 entry_size;
	__u32 nr_slots;
	__u32 hash_size;
	__u32 hash_bits;
	__u32 seq;
	__u64 entries_offset;
	__u64 hash_offset;
	__u64 regions_offset;
	__u64 slot_stride;
	__u64 view_size;
	__u64 nr_live;
	__u64 lost;
	__u64 updates;
	__u64 pages_offset;
	__u64 __reserved[3];
};

/* Flags of struct uls_monitor_entry.flags. */
#define ULS_MONITOR_ENTRY_LIVE	 (1U << 0) /* the slot shows a registration */
#define ULS_MONITOR_ENTRY_NODATA (1U << 1) /* larger than the slot: listed,
					      its bytes not shown */

/**
 * struct uls_monitor_entry - one slot of the index, 64 bytes
 * @seq:	odd while the entry changes; changes with each change
 * @flags:	ULS_MONITOR_ENTRY_* flags; 0 for a free slot
 * @pid:	the owner's thread group id, in the monitor's pid namespace
 *		(the opener's)
 * @tid:	the owner's thread id, likewise
 * @gen:	this registration's number in this monitor, never reused:
 *		a replaced registration has a new one
 * @offset:	where its byte 0 is in the view
 * @len:	registered length in bytes
 * @addr:	its user address in the owner's address space
 * @comm:	the owner's comm when it registered
 */
struct uls_monitor_entry {
	__u32 seq;
	__u32 flags;
	__s32 pid;
	__s32 tid;
	__u64 gen;
	__u64 offset;
	__u64 len;
	__u64 addr;
	char comm[16];
};

/* The tid hash's first bucket for @tid (struct uls_monitor_header). */
static inline __u32 uls_monitor_hash(__s32 tid, __u32 bits)
{
	return (__u32)(((__u64)(__u32)tid * 0x61C8864680B583EBULL) >>
		       (64 - bits));
}

#define ULS_IOC_MAGIC		0xBC

/*
 * ULS_IOC_REGISTER: register [addr, addr + len) for the calling thread.
 * It replaces the thread's previous registration atomically: a BPF program
 * sees either the old region or the new one. The pages are pinned until
 * the registration ends, and charged to the calling process's
 * RLIMIT_MEMLOCK (VmPin), each page once however many of its threads
 * register it.
 *   EINVAL	unknown flags, non-zero reserved field, len == 0, or addr
 *		not a multiple of ULS_REGION_ALIGN
 *   E2BIG	len > uls_info.max_len
 *   EOVERFLOW	addr + len wraps around
 *   EFAULT	the range is not all mapped writable in the caller (a hole,
 *		PROT_READ, PROT_NONE, a VM_IO/VM_PFNMAP mapping, memfd_secret
 *		memory), lies outside user space, or the struct cannot be read
 *   EOPNOTSUPP	part of the range is a shared mapping of a file that needs
 *		writeback (a file on a disk file system); anonymous memory,
 *		shmem, memfd, tmpfs, hugetlbfs and private file mappings are
 *		accepted
 *   EPERM	RLIMIT_MEMLOCK is 0 and the caller lacks CAP_IPC_LOCK, or the
 *		caller is a kernel thread or an io_uring worker
 *   ENOMEM	the new pages would exceed RLIMIT_MEMLOCK or the module's
 *		max_user_pinned_pages for the caller's user (neither without
 *		CAP_IPC_LOCK), or the module's max_pinned_pages, or out of
 *		memory, or the kernel mapping failed
 *   EINTR	a fatal signal arrived while waiting for the mmap lock
 *   EBUSY	ULS_REGISTER_EXCL, and the thread's registration starts at
 *		another address
 *   EAGAIN	the caller's user has max_user_retired (module parameter,
 *		65536 by default) ended registrations still waiting
 *		for their RCU grace periods (a stalled sleepable BPF program
 *		holds them up); try again later
 *
 * A registration ends when the thread replaces or drops it, exits, or
 * execs, or when the file it was made through is released (its last file
 * descriptor closed, in any process).
 *
 * ULS_IOC_UNREGISTER: drop the calling thread's registration.
 *   ENOENT	the thread has none
 *
 * ULS_IOC_QUERY: report the calling thread's registration (user address
 * and length; never a kernel address).
 *   ENOENT	the thread has none
 *
 * ULS_IOC_INFO: fill struct uls_info. Never fails but for EFAULT.
 *
 * ULS_IOC_WAIT_FREED (a __u64 N): wait until uls_info.freed_seq >= N, that
 * is until every registration that had ended when ULS_IOC_INFO reported
 * retired_seq N is freed. Memory that a registration pinned may receive
 * a BPF program's stores until then (one that fetched the pointer just
 * before the end may still finish), so this is what to wait for before
 * the memory is reused: freed, or handed to other code. Usually tens of
 * milliseconds; as long as any sleepable BPF program sleeps.
 *   EINVAL	N is greater than retired_seq
 *   EINTR	a fatal signal arrived
 *
 * ULS_IOC_LIST (struct uls_list): every live registration of every
 * thread whose pid the caller's pid namespace can see, for tools such as
 * `ulsctl list`. A snapshot taken without stopping registration: an entry
 * may end or appear while it is taken.
 *   EPERM	the caller lacks CAP_SYS_ADMIN
 *   EINVAL	flags or a reserved field is not 0
 *   EFAULT	the argument or @entries could not be read or written
 *   ENOMEM	no memory for the snapshot
 *
 * ULS_IOC_MONITOR (struct uls_monitor_args): a new monitor file (the
 * return value is its descriptor, close-on-exec) whose read-only mapping
 * shows the registrations of the process @pid, or of every process whose
 * pid the caller's namespace sees (ULS_MONITOR_ALL), as described above.
 * A process is watched as the image it runs at the call: registrations
 * made after it execs are not shown. The view shows whole pages: bytes
 * around a region that share its pages are visible too. The module
 * cannot be unloaded while a monitor file or mapping exists.
 *   EPERM	the caller may not read the process's memory (it could not
 *		ptrace-read it: PTRACE_MODE_READ_FSCREDS, LSMs included), or
 *		lacks CAP_SYS_ADMIN for ULS_MONITOR_ALL
 *   ESRCH	no such process, or it has exited
 *   EINVAL	unknown flags, a reserved field not 0, ULS_MONITOR_ALL with
 *		@pid not 0, @pid <= 0 without it, or the process is a
 *		kernel thread
 *   E2BIG	@nr_slots > the module's monitor_max_entries
 *   EAGAIN	the process exec'd during the call: try again
 *   ENOMEM	no memory for the index
 *   EMFILE	no descriptor left
 *   EFAULT	the argument could not be read or written
 *
 * mmap() of a monitor file: PROT_READ only, MAP_SHARED or MAP_PRIVATE,
 * within [0, view_size). PROT_WRITE fails with EACCES (so does a later
 * mprotect() to write); a range past the view, with EINVAL.
 *
 * Any other command fails with ENOTTY.
 */
#define ULS_IOC_REGISTER	_IOW(ULS_IOC_MAGIC, 1, struct uls_region)
#define ULS_IOC_UNREGISTER	_IO(ULS_IOC_MAGIC, 2)
#define ULS_IOC_QUERY		_IOR(ULS_IOC_MAGIC, 3, struct uls_region)
#define ULS_IOC_INFO		_IOR(ULS_IOC_MAGIC, 4, struct uls_info)
#define ULS_IOC_WAIT_FREED	_IOW(ULS_IOC_MAGIC, 5, __u64)
#define ULS_IOC_LIST		_IOWR(ULS_IOC_MAGIC, 6, struct uls_list)
#define ULS_IOC_MONITOR		_IOWR(ULS_IOC_MAGIC, 7, struct uls_monitor_args)

#endif /* _UAPI_LINUX_ULS_H */
