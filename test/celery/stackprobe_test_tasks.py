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
    # A test may plant a slow configuration (acks_late with prefetch 1) through the environment.
    worker_prefetch_multiplier=int(os.environ.get("STACKPROBE_TEST_PREFETCH", "1")),
    broker_connection_retry_on_startup=True,
    task_acks_late=os.environ.get("STACKPROBE_TEST_ACKS_LATE") == "1",
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


@app.task(name="test.retries_forever", bind=True, max_retries=2)
def retries_forever(self, *args):
    """A retrying task that never succeeds: ends in FAILURE once its retries run out."""
    raise self.retry(exc=ConnectionError("upstream still down"), countdown=0.1)


@app.task(name="test.kw_probe")
def kw_probe(*, n, tag="probe"):
    """Keyword-only arguments, as real tasks often have."""
    return {"n": n, "tag": tag}


@app.task(name="test.kw_fails")
def kw_fails(*, reason):
    raise ValueError(reason)


@app.task(name="test.kw_retries", bind=True, max_retries=5)
def kw_retries(self, *, times):
    if self.request.retries < times:
        raise self.retry(countdown=0.1)
    return self.request.retries


@app.task(name="test.slow")
def slow(ms=150):
    time.sleep(ms / 1000)
    return ms


@app.task(name="test.busy")
def busy(*args):
    """Holds its pool process 500 ms whatever it is given (the load's task requests pass an account id)."""
    time.sleep(0.5)
    return len(args)
