"""Celery tasks for stackprobe's integration tests: broker and backend come from the environment."""
import os
import time

from celery import Celery

app = Celery(
    "stackprobe_test",
    broker=os.environ["STACKPROBE_TEST_BROKER"],
    backend=os.environ.get("STACKPROBE_TEST_BACKEND") or None,
)
app.conf.update(
    result_expires=300,  # keys a test forgets to delete still go away
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_acks_late=False,
)


@app.task(name="test.add")
def add(x, y):
    return x + y


@app.task(name="test.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="test.always_fails")
def always_fails(*args):
    raise ValueError("planted failure")


@app.task(name="test.retries_then_succeeds", bind=True, max_retries=5)
def retries_then_succeeds(self, *args):
    if self.request.retries < 2:
        raise self.retry(countdown=0.1)
    return self.request.retries
