"""A busy worker keeps the workflows it has cached: a task meant for it waits for it.

Under a burst (1,000 reminders at once) a worker reaches the tail of its queue only
after 15 to 20 s. With the SDK's 10 s wait those tasks were handed to the normal
queue, where another worker replayed each workflow's history from scratch: a second
worker then cost a third more CPU, on the Temporal server as much as on the workers.
"""

from datetime import timedelta

from workflows.worker import STICKY_WAIT


def test_a_task_waits_longer_for_its_worker_than_a_large_burst_takes(worker):
    for queue in (worker.cases, worker.notices):
        waits = queue.config()["sticky_queue_schedule_to_start_timeout"]
        assert waits == STICKY_WAIT >= timedelta(seconds=30)
