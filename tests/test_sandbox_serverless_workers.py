"""The worker/job model behind serverless endpoints: scaling policies, slots, idle release."""

from __future__ import annotations

from novita_mcp.sandbox.serverless_workers import JOB_SECONDS, WORKER_BOOT_SECONDS, Pool


def pool(**overrides: object) -> Pool:
    values: dict[str, object] = {"min_num": 0, "max_num": 3, "free_timeout": 30, "max_concurrent": 1,
                                 "policy_type": "queue", "policy_value": 10}
    values.update(overrides)
    return Pool(**values)  # type: ignore[arg-type]


def test_pinning_the_minimum_allocates_workers_that_pull_first() -> None:
    p = pool(min_num=2)
    p.pin_minimum(0)
    assert [w.state(0) for w in p.live()] == ["pulling", "pulling"]
    assert [w.state(WORKER_BOOT_SECONDS) for w in p.live()] == ["running", "running"]


def test_queue_policy_adds_a_worker_when_the_wait_would_exceed_the_threshold() -> None:
    p = pool(min_num=1, policy_value=10)
    p.pin_minimum(0)
    now = WORKER_BOOT_SECONDS
    first = p.submit(now, {})
    second = p.submit(now, {})  # would wait 5 s on the busy worker: within 10 s, no new worker
    assert len(p.live()) == 1 and second.start_at == first.end_at
    p.policy_value = 1
    third = p.submit(now, {})  # would wait 10 s: over 1 s, a worker is added (its boot is longer, so it queues)
    assert len(p.live()) == 2
    assert third.start_at == now + JOB_SECONDS * 2


def test_concurrency_policy_scales_on_the_number_of_queued_jobs() -> None:
    p = pool(min_num=1, policy_type="concurrency", policy_value=2)
    p.pin_minimum(0)
    p.submit(0, {})
    p.submit(0, {})
    assert len(p.live()) == 1  # each saw fewer than 2 queued jobs
    p.submit(0, {})  # two are already queued: a worker is added
    assert len(p.live()) == 2


def test_never_more_than_max_workers() -> None:
    p = pool(max_num=2, policy_value=1)
    for _ in range(10):
        p.submit(0, {})
    assert len(p.live()) == 2


def test_max_concurrent_runs_jobs_side_by_side_on_one_worker() -> None:
    p = pool(min_num=1, max_num=1, max_concurrent=2)
    p.pin_minimum(0)
    a, b = p.submit(0, {}), p.submit(0, {})
    assert a.start_at == b.start_at == WORKER_BOOT_SECONDS


def test_an_extra_worker_is_released_after_the_idle_timeout_but_a_pinned_one_stays() -> None:
    p = pool(min_num=1, max_num=2, policy_value=1)
    p.pin_minimum(0)
    p.submit(0, {})
    p.submit(0, {})
    extra = next(w for w in p.live() if not w.pinned)
    p.release_idle(extra.idle_since() + 29)
    assert extra.released_at is None
    p.release_idle(extra.idle_since() + 31)
    assert extra.released_at == extra.idle_since() + 30
    assert len(p.live()) == 1 and p.live()[0].pinned


def test_cancelling_the_last_job_on_a_slot_frees_it() -> None:
    p = pool(min_num=1, max_num=1)
    p.pin_minimum(0)
    job = p.submit(0, {})
    p.cancel(job, 10)
    assert job.status(10) == "CANCELLED"
    assert p.submit(10, {}).start_at == WORKER_BOOT_SECONDS
