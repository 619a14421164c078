/* SPDX-License-Identifier: MIT
 *
 * pool.c: the engine's worker pool and thread settings.
 *
 * One pool for the process: n − 1 worker threads plus the caller.  dls_parallel() publishes a
 * job of n tasks; the caller and the workers claim tasks from one atomic counter until none are
 * left.  Task t always does the same work and writes its own partial results, so which thread
 * ran it never changes the answer, and a worker the OS has not scheduled yet never holds the
 * caller up: the caller just takes its tasks.  Workers spin briefly for the next job (graphs of
 * small layers issue thousands of jobs a second), then sleep on a condition variable.  When
 * another thread is already using the pool (two graphs at once, say training and prediction),
 * the caller runs its tasks itself: same tasks, same results, no waiting.
 *
 * OpenBLAS is set to one thread: the engine calls it from inside its own tasks.
 */
#include "engine-private.h"

#include <cblas.h>
#include <pthread.h>
#include <unistd.h>

#define SPIN_ROUNDS 20000
#define CLOSED      0xffffffffu

typedef struct
{
  pthread_mutex_t busy; /* held by the thread that owns the pool for one job */
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_cond_t done_cond;
  pthread_t *threads;
  int n_threads;       /* including the caller */
  uint32_t generation; /* bumped for every job; workers watch it */
  /* (generation << 32) | next task: claiming a task is a compare-and-swap on this word, so a
   * worker that wakes late can never claim a task of another job. */
  uint64_t work;
  int done; /* tasks finished in the current job */
  bool quit;
  DlsTaskFn fn;
  void *ctx;
  int n_tasks;
} Pool;

static Pool pool = {
  .busy = PTHREAD_MUTEX_INITIALIZER,
  .lock = PTHREAD_MUTEX_INITIALIZER,
  .wake = PTHREAD_COND_INITIALIZER,
  .done_cond = PTHREAD_COND_INITIALIZER,
  .n_threads = 1,
  .work = CLOSED,
};

static __thread int thread_index;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

/* Claims and runs tasks of job `gen` until none are left. */
static void
run_tasks (uint32_t gen)
{
  for (;;)
    {
      uint64_t w = __atomic_load_n (&pool.work, __ATOMIC_ACQUIRE);
      uint32_t next = (uint32_t) w;
      int t, n;

      if ((uint32_t) (w >> 32) != gen || next == CLOSED
          || next >= (uint32_t) __atomic_load_n (&pool.n_tasks, __ATOMIC_ACQUIRE))
        return;
      if (!__atomic_compare_exchange_n (&pool.work, &w, w + 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
        continue;
      /* The job cannot finish before this task does, so fn, ctx and n_tasks are its own. */
      t = (int) next;
      n = pool.n_tasks;
      pool.fn (pool.ctx, t, n);
      if (__atomic_add_fetch (&pool.done, 1, __ATOMIC_ACQ_REL) == n)
        {
          pthread_mutex_lock (&pool.lock);
          pthread_cond_signal (&pool.done_cond);
          pthread_mutex_unlock (&pool.lock);
        }
    }
}

typedef struct
{
  int ith;
  uint32_t generation; /* the last job this worker need not look at */
} WorkerStart;

static void *
worker_main (void *data)
{
  WorkerStart *start = data;
  uint32_t seen = start->generation;

  thread_index = start->ith;
  g_free (start);
  for (;;)
    {
      uint32_t gen = seen;

      for (int spin = 0; spin < SPIN_ROUNDS; spin++)
        {
          gen = __atomic_load_n (&pool.generation, __ATOMIC_ACQUIRE);
          if (gen != seen || __atomic_load_n (&pool.quit, __ATOMIC_ACQUIRE))
            break;
          cpu_relax ();
        }
      if (gen == seen)
        {
          pthread_mutex_lock (&pool.lock);
          while (pool.generation == seen && !pool.quit)
            pthread_cond_wait (&pool.wake, &pool.lock);
          gen = pool.generation;
          pthread_mutex_unlock (&pool.lock);
        }
      if (__atomic_load_n (&pool.quit, __ATOMIC_ACQUIRE))
        return NULL;
      seen = gen;
      run_tasks (gen);
    }
}

static void
stop_workers (void)
{
  if (pool.n_threads <= 1)
    {
      g_clear_pointer (&pool.threads, g_free);
      return;
    }
  pthread_mutex_lock (&pool.lock);
  __atomic_store_n (&pool.quit, true, __ATOMIC_RELEASE);
  pthread_cond_broadcast (&pool.wake);
  pthread_mutex_unlock (&pool.lock);
  for (int i = 1; i < pool.n_threads; i++)
    pthread_join (pool.threads[i], NULL);
  g_free (pool.threads);
  pool.threads = NULL;
  pool.n_threads = 1;
  pool.quit = false;
}

static void
start_workers (int n)
{
  pool.n_threads = n;
  pool.threads = g_new0 (pthread_t, n);
  for (int i = 1; i < n; i++)
    {
      /* No job can start while the pool is being built, so the current generation is the one
       * a new worker has already "seen". */
      WorkerStart *start = g_new (WorkerStart, 1);
      start->ith = i;
      start->generation = pool.generation;
      if (pthread_create (&pool.threads[i], NULL, worker_main, start) != 0)
        {
          /* Fewer threads than asked: keep those that started. */
          g_free (start);
          pool.n_threads = i;
          break;
        }
    }
}

static int
online_cores (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) MIN (n, 256) : 1;
}

static void
init_once_fn (void)
{
  const char *env = g_getenv ("DLSIA_THREADS");
  int n = env ? atoi (env) : 0;

  openblas_set_num_threads (1);
  dls_direct_kernels_init ();
  start_workers (n > 0 ? MIN (n, 256) : online_cores ());
}

void
dls_engine_init (void)
{
  pthread_once (&init_once, init_once_fn);
}

void
dls_engine_set_threads (int n_threads)
{
  dls_engine_init ();
  if (n_threads <= 0)
    n_threads = online_cores ();
  n_threads = MIN (n_threads, 256);
  pthread_mutex_lock (&pool.busy);
  if (n_threads != pool.n_threads)
    {
      stop_workers ();
      start_workers (n_threads);
    }
  openblas_set_num_threads (1);
  pthread_mutex_unlock (&pool.busy);
}

int
dls_engine_get_threads (void)
{
  dls_engine_init ();
  /* the threads that really started, which may be fewer than asked for */
  return __atomic_load_n (&pool.n_threads, __ATOMIC_ACQUIRE);
}

const char *
dls_engine_blas_corename (void)
{
  return openblas_get_corename ();
}

int
dls_parallel_thread_index (void)
{
  return thread_index;
}

void
dls_parallel (int n_tasks, DlsTaskFn fn, void *ctx)
{
  uint32_t gen;

  if (n_tasks <= 0)
    return;
  if (n_tasks == 1 || pool.n_threads <= 1 || pthread_mutex_trylock (&pool.busy) != 0)
    {
      /* Inline: one task, a single-threaded pool, or the pool is serving another graph. */
      int saved = thread_index;
      thread_index = 0;
      for (int t = 0; t < n_tasks; t++)
        fn (ctx, t, n_tasks);
      thread_index = saved;
      return;
    }
  pool.fn = fn;
  pool.ctx = ctx;
  __atomic_store_n (&pool.n_tasks, n_tasks, __ATOMIC_RELEASE);
  __atomic_store_n (&pool.done, 0, __ATOMIC_RELEASE);
  gen = pool.generation + 1;
  __atomic_store_n (&pool.work, (uint64_t) gen << 32, __ATOMIC_RELEASE);
  pthread_mutex_lock (&pool.lock);
  __atomic_store_n (&pool.generation, gen, __ATOMIC_RELEASE);
  pthread_cond_broadcast (&pool.wake);
  pthread_mutex_unlock (&pool.lock);

  thread_index = 0;
  run_tasks (gen);

  for (int spin = 0; spin < SPIN_ROUNDS * 4; spin++)
    {
      if (__atomic_load_n (&pool.done, __ATOMIC_ACQUIRE) == n_tasks)
        break;
      cpu_relax ();
    }
  if (__atomic_load_n (&pool.done, __ATOMIC_ACQUIRE) != n_tasks)
    {
      pthread_mutex_lock (&pool.lock);
      while (__atomic_load_n (&pool.done, __ATOMIC_ACQUIRE) != n_tasks)
        pthread_cond_wait (&pool.done_cond, &pool.lock);
      pthread_mutex_unlock (&pool.lock);
    }
  /* Close the job: a worker waking late finds nothing to claim. */
  __atomic_store_n (&pool.work, ((uint64_t) gen << 32) | CLOSED, __ATOMIC_RELEASE);
  pthread_mutex_unlock (&pool.busy);
}

void
dls_sgemm (bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
           const float *B, int ldb, float beta, float *C, int ldc)
{
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0)
    {
      /* BLAS would still scale C by beta. */
      for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
          C[(int64_t) i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(int64_t) i * ldc + j];
      return;
    }
  cblas_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
               K, alpha, A, lda, B, ldb, beta, C, ldc);
}
