// SPDX-License-Identifier: GPL-2.0
/*
 * scx_hints: a sched_ext scheduler driven by the hints threads write into
 * their own memory (include/uls/hint.h), read with uls's keyed lookup: a
 * thread changes its hint with one store, and the change takes effect at
 * its next scheduling event.
 *
 * Three queues, one per class:
 *   latency-critical  sent straight to a CPU that runs a background or
 *                     normal thread, which it preempts; FIFO, consumed
 *                     first, when every CPU runs latency-critical work;
 *                     a short slice (lc_slice_ns)
 *   normal            weighted vtime, as scx_simple: what every thread
 *                     without a hint, or with a garbage one, gets
 *   background        FIFO, consumed when nothing else waits, except that
 *                     its head is served first once it has waited
 *                     bg_max_wait_ns: background work is slowed, never
 *                     starved (sched_ext's watchdog would end us first)
 *
 * A hint is a request. The latency-critical threads of one user together
 * get at most lc_share of the machine's CPU time per lc_window_ns, and
 * those of all users at most lc_total_share; beyond that they are queued
 * as normal until the window ends. So no user marks its way past others,
 * and normal threads keep at least what lc_total_share leaves. A hint's
 * nice can only lower a thread's weight below what its real nice gives.
 *
 * The hint is read in ops.select_cpu and ops.enqueue (where the thread is
 * placed) through uls_key_get(), and in ops.running through TLD's API
 * (tld.bpf.h, installed in uls/bpf/), which must agree: the stats count
 * both outcomes.
 *
 * Built against the tools/sched_ext headers of the running kernel's
 * source (Debian's linux-source-7.2).
 */
#include <scx/common.bpf.h>
#include "uls.bpf.h"
#include "tld.bpf.h"
#include "scx_hints.h"

/* TLD's key cache (tld_key_map's rows): a member per key read through it. */
struct tld_keys {
	tld_key_t hint;
};

char _license[] SEC("license") = "GPL";

/* Tunables: the loader's options (scx_hints -h). */
const volatile u32 nr_cpus = 1;
const volatile u64 slice_ns = 20 * 1000 * 1000;	/* SCX_SLICE_DFL */
/* Short: a thread that runs longer is not waiting on latency, and queues again. */
const volatile u64 lc_slice_ns = 2 * 1000 * 1000;
const volatile u64 lc_window_ns = 100 * 1000 * 1000;
const volatile u64 lc_budget_ns;	/* one user's, per window, in all CPUs */
const volatile u64 lc_total_budget_ns;	/* all users' */
const volatile u64 bg_max_wait_ns = 200 * 1000 * 1000;

struct scx_hints_stats stats;
UEI_DEFINE(uei);

/* The order in which classes yield a CPU: lower ranks are preempted. */
enum rank { RANK_BG, RANK_NORMAL, RANK_LC, RANK_NONE };

static const u8 class_rank[SCX_HINTS_NR_CLASSES] = {
	[ULS_HINT_NORMAL] = RANK_NORMAL,
	[ULS_HINT_LATENCY_CRITICAL] = RANK_LC,
	[ULS_HINT_BACKGROUND] = RANK_BG,
};

/*
 * The rank of what each CPU runs, or of the task a higher class preempted
 * there, which runs next; RANK_NONE between tasks.
 */
u8 cpu_rank[SCX_HINTS_MAX_CPUS];
/* Set by dispatch when it served a starved background task. */
u8 cpu_boost[SCX_HINTS_MAX_CPUS];

static u64 vtime_now;

struct task_ctx {
	u64 queued_at;	/* when it was last queued (or sent to a CPU) */
	u64 ran_at;	/* when it last started running */
	u32 cls;	/* the class it was queued in, after the cap */
	u32 weight;	/* its weight, after the hint's nice */
	u32 uid;	/* whose latency-critical budget it charges */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Latency-critical time used in the current window, per uid. */
struct lc_budget {
	u64 window_start;
	u64 used_ns;
};

#define LC_ALL_USERS	((u32)-1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct lc_budget);
} lc_budgets SEC(".maps");

/* The kernel's sched_prio_to_weight[], in sched_ext's units (100 = nice 0). */
static const u32 nice_weight[40] = {
	8555, 6818, 5449, 4330, 3438, 2756, 2200, 1755, 1399, 1118,
	893, 711, 569, 456, 364, 291, 232, 185, 148, 119,
	100, 80, 64, 51, 40, 32, 26, 20, 16, 13,
	10, 8, 6, 5, 4, 3, 2, 2, 1, 1,
};

/*
 * A thread's hint as one word, so that class and nice are of one moment.
 * False where the thread has none: no key, or no region at all.
 */
union hint_word {
	u64 word;
	struct uls_hint hint;
};

static __always_inline bool hint_native(struct task_struct *p,
					union hint_word *h)
{
	u64 *w = uls_key_get(p, ULS_HINT_KEY, sizeof(struct uls_hint));

	if (!w)
		return false;
	h->word = READ_ONCE(*w);
	return true;
}

static __always_inline bool hint_tld(struct task_struct *p, union hint_word *h)
{
	struct tld_object obj;
	u64 *w;

	if (tld_object_init(p, &obj))
		return false;
	w = tld_get_data(&obj, hint, ULS_HINT_KEY, sizeof(struct uls_hint));
	if (!w)
		return false;
	h->word = READ_ONCE(*w);
	return true;
}

/* The class a hint asks for, and its nice; garbage asks for normal. */
static __always_inline u32 hint_class(bool found, union hint_word *h,
				      s32 *nice)
{
	*nice = 0;
	if (!found) {
		__sync_fetch_and_add(&stats.no_hint, 1);
		return ULS_HINT_NORMAL;
	}
	if (h->hint.class >= ULS_HINT_NR_CLASSES ||
	    h->hint.nice < ULS_HINT_NICE_MIN || h->hint.nice > ULS_HINT_NICE_MAX) {
		__sync_fetch_and_add(&stats.garbage, 1);
		return ULS_HINT_NORMAL;
	}
	*nice = h->hint.nice;
	return h->hint.class;
}

static struct task_ctx *task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

static struct lc_budget *lc_budget_of(u32 uid, u64 now)
{
	struct lc_budget *b = bpf_map_lookup_elem(&lc_budgets, &uid);
	struct lc_budget fresh = { .window_start = now };

	if (!b) {
		bpf_map_update_elem(&lc_budgets, &uid, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&lc_budgets, &uid);
		if (!b)
			return NULL;
	}
	/* Racy on purpose: two CPUs that both roll the window agree. */
	if (now - b->window_start >= lc_window_ns) {
		b->window_start = now;
		b->used_ns = 0;
	}
	return b;
}

/* Whether @uid may queue one more latency-critical thread now. */
static bool lc_allowed(u32 uid, u64 now)
{
	struct lc_budget *b = lc_budget_of(uid, now);
	struct lc_budget *all = lc_budget_of(LC_ALL_USERS, now);

	/* No room to count it: no latency-critical, rather than unbounded. */
	if (!b || !all)
		return false;
	return b->used_ns < lc_budget_ns && all->used_ns < lc_total_budget_ns;
}

static void lc_charge(u32 uid, u64 ran_ns, u64 now)
{
	struct lc_budget *b = lc_budget_of(uid, now);
	struct lc_budget *all = lc_budget_of(LC_ALL_USERS, now);

	if (b)
		__sync_fetch_and_add(&b->used_ns, ran_ns);
	if (all)
		__sync_fetch_and_add(&all->used_ns, ran_ns);
}

/*
 * Read @p's hint and decide its class and weight for this queuing: the
 * cap may turn latency-critical into normal.
 */
static u32 classify(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	union hint_word h;
	bool found = hint_native(p, &h);
	u32 cls, weight = p->scx.weight;
	s32 nice;

	cls = hint_class(found, &h, &nice);
	/*
	 * 0 keeps the thread's own weight. The range again: the verifier
	 * does not follow it through the stack.
	 */
	if (nice && nice >= ULS_HINT_NICE_MIN && nice <= ULS_HINT_NICE_MAX &&
	    nice_weight[nice - ULS_HINT_NICE_MIN] < weight)
		weight = nice_weight[nice - ULS_HINT_NICE_MIN];
	tctx->uid = p->real_cred->uid.val;
	if (cls == ULS_HINT_LATENCY_CRITICAL && !lc_allowed(tctx->uid, now)) {
		__sync_fetch_and_add(&stats.capped, 1);
		cls = ULS_HINT_NORMAL;
	}
	if (cls >= SCX_HINTS_NR_CLASSES)
		cls = ULS_HINT_NORMAL;
	tctx->cls = cls;
	tctx->weight = weight ?: 1;
	tctx->queued_at = now;
	return cls;
}

static u32 rank_of(u32 cls)
{
	return cls < SCX_HINTS_NR_CLASSES ? class_rank[cls] : RANK_NORMAL;
}

/*
 * A CPU that @p may run on and that runs a class below @rank, the lowest
 * found; the CPU this runs on first (no IPI to preempt it), then the
 * others in order. -1 if none.
 */
static s32 victim_cpu(struct task_struct *p, u32 rank)
{
	u32 lowest = rank, here = bpf_get_smp_processor_id(), i;
	s32 victim = -1;

	bpf_for(i, 0, nr_cpus) {
		u32 cpu = here + i, r;

		if (cpu >= nr_cpus)
			cpu -= nr_cpus;
		if (cpu >= SCX_HINTS_MAX_CPUS)
			break;
		r = cpu_rank[cpu];
		if (r < lowest && bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
			lowest = r;
			victim = cpu;
		}
	}
	/* So that the next one queued picks another CPU. */
	if (victim >= 0 && victim < SCX_HINTS_MAX_CPUS)
		cpu_rank[victim] = rank;
	return victim;
}

/*
 * Make room for @p, just queued in @cls: wake an idle CPU it may run on,
 * or else preempt one that runs a lower class.
 */
static void kick_for(struct task_struct *p, u32 cls)
{
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);

	if (cpu >= 0) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	if (cls == ULS_HINT_BACKGROUND)
		return;
	cpu = victim_cpu(p, rank_of(cls));
	if (cpu < 0)
		return;
	__sync_fetch_and_add(&stats.preempts[cls], 1);
	scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
}

/*
 * Whether @here, the CPU that queues @p, runs @p next if @p goes first in
 * its local queue: it runs none of our tasks and none waits to resume
 * there (RANK_NONE), and what runs is not @p (whose slice ended), so a
 * higher class has it and is about to leave it to us. On PREEMPT_RT that
 * is the ktimers/N thread running the timer that woke @p, often at the
 * very tick that ended the slice of what ran before. Not while
 * latency-critical threads queue: they came first.
 */
static bool here_is_next(struct task_struct *p, u32 here)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	if (here >= SCX_HINTS_MAX_CPUS || cpu_rank[here] != RANK_NONE)
		return false;
	return cur->pid != p->pid && bpf_cpumask_test_cpu(here, p->cpus_ptr) &&
	       !scx_bpf_dsq_nr_queued(SCX_HINTS_DSQ_LC);
}

/*
 * A latency-critical thread goes straight to the local queue of a CPU
 * that runs a lower class, ahead of what runs there (SCX_ENQ_PREEMPT),
 * or of the CPU that queues it if a higher class is about to leave that
 * one: no trip through a shared queue and a dispatch. Only when every
 * CPU it may use runs latency-critical work, or idles, does it queue.
 */
static void enqueue_lc(struct task_struct *p, u64 enq_flags)
{
	/* Picking an idle CPU claims it: it gets the thread, and a kick. */
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	u32 here = bpf_get_smp_processor_id();

	if (cpu >= 0) {
		__sync_fetch_and_add(&stats.lc_placed[SCX_HINTS_LC_IDLE], 1);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, lc_slice_ns,
				   enq_flags);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	if (here_is_next(p, here)) {
		/* So that the next one queued picks another CPU. */
		cpu_rank[here] = RANK_LC;
		__sync_fetch_and_add(&stats.lc_placed[SCX_HINTS_LC_HERE], 1);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | here, lc_slice_ns,
				   enq_flags | SCX_ENQ_HEAD);
		return;
	}
	cpu = victim_cpu(p, RANK_LC);
	if (cpu >= 0) {
		__sync_fetch_and_add(&stats.preempts[ULS_HINT_LATENCY_CRITICAL], 1);
		__sync_fetch_and_add(&stats.lc_placed[cpu == here ?
				     SCX_HINTS_LC_HERE : SCX_HINTS_LC_REMOTE], 1);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, lc_slice_ns,
				   enq_flags | SCX_ENQ_PREEMPT);
		return;
	}
	__sync_fetch_and_add(&stats.lc_placed[SCX_HINTS_LC_QUEUED], 1);
	scx_bpf_dsq_insert(p, SCX_HINTS_DSQ_LC, lc_slice_ns, enq_flags);
}

s32 BPF_STRUCT_OPS(hints_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	struct task_ctx *tctx = task_ctx(p);
	bool is_idle = false;
	s32 cpu;
	u32 cls;

	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	/* An idle CPU: nobody else wants it, whatever the class. */
	if (is_idle && tctx) {
		cls = classify(p, tctx, bpf_ktime_get_ns());
		__sync_fetch_and_add(&stats.direct[cls], 1);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL,
				   cls == ULS_HINT_LATENCY_CRITICAL ?
				   lc_slice_ns : slice_ns, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(hints_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = task_ctx(p);
	u64 vtime = p->scx.dsq_vtime;
	u32 cls;

	cls = tctx ? classify(p, tctx, bpf_ktime_get_ns()) : ULS_HINT_NORMAL;
	__sync_fetch_and_add(&stats.queued[cls], 1);
	switch (cls) {
	case ULS_HINT_LATENCY_CRITICAL:
		enqueue_lc(p, enq_flags);
		return;
	case ULS_HINT_BACKGROUND:
		scx_bpf_dsq_insert(p, SCX_HINTS_DSQ_BG, slice_ns, enq_flags);
		break;
	default:
		/* As scx_simple: an idle task banks at most one slice. */
		if (time_before(vtime, vtime_now - slice_ns))
			vtime = vtime_now - slice_ns;
		scx_bpf_dsq_insert_vtime(p, SCX_HINTS_DSQ_NORMAL, slice_ns,
					 vtime, enq_flags);
	}
	kick_for(p, cls);
}

/* Whether the head of the background queue has waited too long. */
static bool bg_starved(u64 now)
{
	struct task_struct *head;
	struct task_ctx *tctx;

	head = __COMPAT_scx_bpf_dsq_peek(SCX_HINTS_DSQ_BG);
	if (!head)
		return false;
	tctx = task_ctx(head);
	return tctx && now - tctx->queued_at >= bg_max_wait_ns;
}

void BPF_STRUCT_OPS(hints_dispatch, s32 cpu, struct task_struct *prev)
{
	if (bg_starved(bpf_ktime_get_ns()) &&
	    scx_bpf_dsq_move_to_local(SCX_HINTS_DSQ_BG, 0)) {
		__sync_fetch_and_add(&stats.bg_starved, 1);
		if (cpu >= 0 && cpu < SCX_HINTS_MAX_CPUS)
			cpu_boost[cpu] = 1;
		return;
	}
	if (scx_bpf_dsq_move_to_local(SCX_HINTS_DSQ_LC, 0) ||
	    scx_bpf_dsq_move_to_local(SCX_HINTS_DSQ_NORMAL, 0))
		return;
	scx_bpf_dsq_move_to_local(SCX_HINTS_DSQ_BG, 0);
}

static u32 wait_bucket(u64 ns)
{
	if (ns < 50000)
		return 0;
	if (ns < 200000)
		return 1;
	if (ns < 1000000)
		return 2;
	if (ns < 2000000)
		return 3;
	return ns < 4000000 ? 4 : 5;
}

void BPF_STRUCT_OPS(hints_running, struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	union hint_word native, tld;
	bool found_native, found_tld;
	u64 now = bpf_ktime_get_ns(), wait;
	u32 cls, rank;

	if (!tctx)
		return;
	/* The TLD read must see what the native one sees. */
	found_tld = hint_tld(p, &tld);
	found_native = hint_native(p, &native);
	if (found_tld == found_native &&
	    (!found_native || tld.word == native.word))
		__sync_fetch_and_add(&stats.tld_agree, 1);
	else
		__sync_fetch_and_add(&stats.tld_disagree, 1);

	cls = tctx->cls < SCX_HINTS_NR_CLASSES ? tctx->cls : ULS_HINT_NORMAL;
	tctx->ran_at = now;
	wait = now - tctx->queued_at;
	if (wait > stats.max_wait_ns[cls])
		stats.max_wait_ns[cls] = wait;
	if (cls == ULS_HINT_LATENCY_CRITICAL)
		__sync_fetch_and_add(&stats.lc_wait_hist[wait_bucket(wait)], 1);
	__sync_fetch_and_add(&stats.runs[cls], 1);
	if (cls == ULS_HINT_NORMAL && time_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;

	if (cpu < 0 || cpu >= SCX_HINTS_MAX_CPUS)
		return;
	rank = rank_of(cls);
	/* Served because it starved: not preempted by what it waited for. */
	if (cpu_boost[cpu]) {
		cpu_boost[cpu] = 0;
		if (rank < RANK_NORMAL)
			rank = RANK_NORMAL;
	}
	cpu_rank[cpu] = rank;
}

void BPF_STRUCT_OPS(hints_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	u64 now = bpf_ktime_get_ns(), ran;

	/*
	 * Runnable with slice left: a higher class took the CPU, and @p waits
	 * at the head of its local queue to run again as soon as that class
	 * is done (put_prev_task_scx()). The CPU is still @p's: keep its
	 * rank. On PREEMPT_RT that higher class is, at every wake-up from a
	 * timer, the ktimers/N thread: the hrtimers of sleepers outside the
	 * RT classes expire there (__hrtimer_setup_sleeper()). Were the CPU
	 * left at RANK_NONE, the latency-critical thread it wakes would never
	 * take it, and would be sent to another CPU by IPI instead of being
	 * put ahead of @p here. (A higher-class task that keeps the CPU long
	 * delays it then, as it delays @p.)
	 */
	if (runnable && p->scx.slice)
		__sync_fetch_and_add(&stats.class_preempted, 1);
	else if (cpu >= 0 && cpu < SCX_HINTS_MAX_CPUS)
		cpu_rank[cpu] = RANK_NONE;
	if (!tctx)
		return;
	ran = now - tctx->ran_at;
	if (tctx->cls == ULS_HINT_LATENCY_CRITICAL)
		lc_charge(tctx->uid, ran, now);
	/*
	 * Every class's time counts in vtime: a thread that ran as
	 * latency-critical and is capped to normal gets no more than its
	 * fair share there (enqueue bounds what an idle one banked).
	 */
	scx_bpf_task_set_dsq_vtime(p, p->scx.dsq_vtime +
				   ran * 100 / (tctx->weight ?: 1));
}

void BPF_STRUCT_OPS(hints_enable, struct task_struct *p)
{
	scx_bpf_task_set_dsq_vtime(p, vtime_now);
}

s32 BPF_STRUCT_OPS(hints_init_task, struct task_struct *p,
		   struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -ENOMEM;
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(hints_init)
{
	s32 ret;

	if (nr_cpus > SCX_HINTS_MAX_CPUS) {
		scx_bpf_error("%u CPUs: scx_hints tracks at most %d", nr_cpus,
			      SCX_HINTS_MAX_CPUS);
		return -E2BIG;
	}
	ret = scx_bpf_create_dsq(SCX_HINTS_DSQ_LC, -1);
	if (!ret)
		ret = scx_bpf_create_dsq(SCX_HINTS_DSQ_NORMAL, -1);
	if (!ret)
		ret = scx_bpf_create_dsq(SCX_HINTS_DSQ_BG, -1);
	if (ret)
		scx_bpf_error("creating the dispatch queues: %d", ret);
	return ret;
}

void BPF_STRUCT_OPS(hints_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(hints_ops,
	       .select_cpu	= (void *)hints_select_cpu,
	       .enqueue		= (void *)hints_enqueue,
	       .dispatch	= (void *)hints_dispatch,
	       .running		= (void *)hints_running,
	       .stopping	= (void *)hints_stopping,
	       .enable		= (void *)hints_enable,
	       .init_task	= (void *)hints_init_task,
	       .init		= (void *)hints_init,
	       .exit		= (void *)hints_exit,
	       .name		= "hints");
