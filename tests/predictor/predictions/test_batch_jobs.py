"""Batch jobs: 202 + Location, progress, result, ownership, limits, and a crash mid-job."""

import csv
import signal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from predictor.models import Batch, BatchJob, BatchJobUpload, Prediction
from predictor.predictions import batches, jobs
from tests.predictor.predictions.test_batch import class_csv

URL = "/api/v1/predictions/batch/"

# django-tasks' worker closes the database connection between tasks, as a worker
# process should; inside a test transaction PostgreSQL's would be gone, so these tests
# run in autocommit, as the worker does.
pytestmark = pytest.mark.django_db(transaction=True)


def run_queue():
    """Run django-tasks' own worker in this process until the queue is empty."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0
        )
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


@pytest.fixture
def api(db):
    """A token user's client: an anonymous API call has no session to own a job by."""
    client = APIClient()
    client.force_authenticate(User.objects.create_user("teacher"))
    return client


def stored_rows(job: BatchJob) -> list[int]:
    return list(
        Prediction.objects.filter(batch_id=job.batch_id)
        .order_by("batch_row")
        .values_list("batch_row", flat=True)
    )


def test_prefer_respond_async_answers_202_with_the_jobs_location(api, production_model):
    """Any size with `Prefer: respond-async`: 202 at once, Location of a queued job, and
    nothing scored until a worker runs it."""
    response = api.post(
        URL, class_csv(3), content_type="text/csv", HTTP_PREFER="respond-async, wait=0"
    )
    assert response.status_code == 202
    job = BatchJob.objects.get()
    assert response["Location"] == f"/api/v1/predictions/jobs/{job.pk}/"
    assert response["Preference-Applied"] == "respond-async"
    body = response.json()
    assert (body["status"], body["rows_done"], body["rows_total"]) == ("queued", 0, 3)
    assert not Prediction.objects.exists()
    assert BatchJobUpload.objects.filter(job=job).exists()


def test_a_job_reports_its_progress_and_then_its_batch(api, production_model, settings):
    """Past BATCH_SYNC_MAX_ROWS a job; a worker stores every row in chunks; its JSON then
    says done, the counts and reasons, and links the same batch a small upload makes."""
    settings.BATCH_SYNC_MAX_ROWS, settings.BATCH_JOB_CHUNK_ROWS = 4, 3
    text = class_csv(10, {2: ("reading score", "200"), 7: ("gender", "?")})
    response = api.post(URL, text, content_type="text/csv")
    assert response.status_code == 202
    location = response["Location"]
    run_queue()
    body = api.get(location).json()
    assert body["status"] == "done"
    assert (body["rows_done"], body["rows_total"]) == (10, 10)
    assert (body["rows_scored"], body["rows_rejected"]) == (8, 2)
    assert body["rejections"] == {"reading_score out of 0–100": 1, "gender unknown category": 1}
    assert body["rows_per_second"] > 0
    job = BatchJob.objects.get()
    assert body["batch_url"] == f"/api/v1/predictions/batch/{job.batch_id}/"
    batch = api.get(body["batch_url"]).json()
    assert [r["reference"] for r in batch["results"]] == [f"ref-{i}" for i in range(10)]
    assert stored_rows(job) == list(range(10))
    assert not BatchJobUpload.objects.filter(job=job).exists()


def test_a_chunk_retried_after_a_crash_stores_every_row_exactly_once(
    api, production_model, settings, monkeypatch
):
    """A worker dying after its second chunk leaves the job running at 4 of 10 rows (its
    GET says so); recovery enqueues it again and another run finishes it, each row once."""
    settings.BATCH_JOB_CHUNK_ROWS = 2
    location = api.post(URL, class_csv(10), content_type="text/csv", HTTP_PREFER="respond-async")[
        "Location"
    ]
    real_score, calls = batches.batch_chunk_score, []

    def dies_on_the_third_chunk(**kwargs):
        calls.append(kwargs["first_row"])
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_score(**kwargs)

    monkeypatch.setattr(batches, "batch_chunk_score", dies_on_the_third_chunk)
    with pytest.raises(SystemExit):
        jobs.batch_job_process(job_id=BatchJob.objects.get().pk, attempt=1)
    body = api.get(location).json()
    assert (body["status"], body["rows_done"], body["rows_total"]) == ("running", 4, 10)
    assert body["rows_scored"] == 4

    monkeypatch.setattr(batches, "batch_chunk_score", real_score)
    assert jobs.batch_jobs_recover(stale_seconds=60) == []  # heartbeat still fresh
    recovered = jobs.batch_jobs_recover(stale_seconds=1e-9)
    assert [j.attempt for j in recovered] == [2]
    # The first attempt, should its worker wake, no longer owns the job.
    assert jobs.batch_job_process(job_id=recovered[0].pk, attempt=1).status == "queued"
    run_queue()
    job = BatchJob.objects.get()
    assert (job.status, job.rows_done) == ("done", 10)
    assert stored_rows(job) == list(range(10))
    assert Batch.objects.get(pk=job.batch_id).rows_total == 10


def test_the_batch_page_turns_a_large_file_into_a_job_with_a_progress_page(
    client, production_model, settings
):
    """/batch/ past the sync limit: 303 to the job's page, which shows progress, then the
    summary and download."""
    settings.BATCH_SYNC_MAX_ROWS = 2
    upload = SimpleUploadedFile("7B.csv", class_csv(5).encode(), content_type="text/csv")
    response = client.post("/batch/", {"file": upload})
    assert response.status_code == 303
    job = BatchJob.objects.get()
    assert response["Location"] == f"/batch/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "0 of 5 rows" in page and "<progress" in page and 'http-equiv="refresh"' in page
    assert "7B.csv" in client.get("/batch/").content.decode()
    run_queue()
    page = client.get(response["Location"]).content.decode()
    assert "5 of 5 rows (100%)" in page and f'href="/batch/{job.batch_id}.csv"' in page
    assert 'http-equiv="refresh"' not in page


def test_someone_elses_job_is_404(production_model):
    """A job belongs to its owner: another user's GET of it (API or page) is a 404."""
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    client = APIClient()
    client.force_authenticate(alice)
    location = client.post(URL, class_csv(2), content_type="text/csv", HTTP_PREFER="respond-async")[
        "Location"
    ]
    assert BatchJob.objects.get().owner == alice
    assert client.get(location).status_code == 200
    client.force_authenticate(bob)
    assert client.get(location).status_code == 404
    assert APIClient().get(location).status_code == 404
    job = BatchJob.objects.get()
    assert APIClient().get(f"/batch/jobs/{job.pk}/").status_code == 404


def test_an_upload_over_the_job_limit_is_refused_with_413(api, production_model, settings):
    """More rows than BATCH_JOB_MAX_ROWS: 413 saying the limit; no job, no row."""
    settings.BATCH_SYNC_MAX_ROWS, settings.BATCH_JOB_MAX_ROWS = 2, 4
    response = api.post(URL, class_csv(5), content_type="text/csv")
    assert response.status_code == 413
    assert "at most 4 (BATCH_JOB_MAX_ROWS" in response.json()["detail"]
    assert not BatchJob.objects.exists() and not Prediction.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "gender,lunch\nmale,standard\n",
            "columns 'race_ethnicity', 'parental_level_of_education'",
        ),
        (class_csv(0), "the file has a header but no rows"),
        ("", "empty"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "not text"),
    ],
    ids=["missing-columns", "header-only", "empty", "binary"],
)
def test_an_async_upload_a_small_batch_would_refuse_is_refused_at_once(
    api, production_model, body, message
):
    """With `Prefer: respond-async` a file a small batch refuses (a column missing, no
    rows, empty, not text) is a 400 saying why, at once: no job, nothing stored."""
    response = api.post(URL, body, content_type="text/csv", HTTP_PREFER="respond-async")
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert not BatchJob.objects.exists() and not Prediction.objects.exists()


def test_a_job_whose_file_breaks_past_its_head_fails_saying_why(api, production_model):
    """A fault the request's look at the first rows cannot see (a quote never closed
    near the end): the job fails with the reader's reason and nothing is stored."""
    text = class_csv(jobs.HEAD_ROWS + 20) + 'female,"group B\n'
    response = api.post(URL, text, content_type="text/csv", HTTP_PREFER="respond-async")
    assert response.status_code == 202
    run_queue()
    body = api.get(response["Location"]).json()
    assert body["status"] == "failed" and body["error"]
    assert not Prediction.objects.exists()


def test_a_size_threshold_job_applies_no_preference_and_its_download_reads_with_a_token(
    api, production_model, settings
):
    """Past BATCH_SYNC_MAX_ROWS without `Prefer`: 202 with no `Preference-Applied`
    (RFC 7240); once done, its `download_url` answers the same token with the CSV."""
    settings.BATCH_SYNC_MAX_ROWS = 2
    response = api.post(URL, class_csv(5), content_type="text/csv")
    assert response.status_code == 202
    assert "Preference-Applied" not in response
    run_queue()
    body = api.get(response["Location"]).json()
    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(download.content.decode("utf-8-sig").splitlines()))
    assert len(rows) == 5


def test_a_json_list_becomes_a_job_too(api, production_model):
    """A JSON list with `Prefer: respond-async` is a job with the same result."""
    from tests.factories import STUDENT

    response = api.post(URL, [STUDENT, STUDENT], format="json", HTTP_PREFER="respond-async")
    assert response.status_code == 202
    run_queue()
    assert api.get(response["Location"]).json()["rows_scored"] == 2


def test_readyz_shows_the_queue(api, production_model):
    """/readyz counts the jobs waiting for a worker and the oldest one's age."""
    assert api.get("/readyz").json()["queue"] == {"depth": 0, "oldest_waiting_seconds": None}
    api.post(URL, class_csv(2), content_type="text/csv", HTTP_PREFER="respond-async")
    queue = api.get("/readyz").json()["queue"]
    assert queue["depth"] == 1 and queue["oldest_waiting_seconds"] >= 0


def test_an_xlsx_job_is_streamed_chunk_by_chunk_and_stores_every_row_once(
    api, production_model, settings
):
    """A workbook sent as a job (its sheet named) is read by the worker through openpyxl's
    read-only mode in chunks of BATCH_JOB_CHUNK_ROWS: every row stored once, in order, and
    the batch remembers it was a workbook."""
    import io

    import openpyxl

    settings.BATCH_JOB_CHUNK_ROWS = 7
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Class")
    rows = list(csv.reader(io.StringIO(class_csv(30))))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("class.xlsx", out.getvalue())
    response = api.post(URL, {"file": upload, "sheet": "Class"}, HTTP_PREFER="respond-async")
    assert response.status_code == 202
    run_queue()
    job = BatchJob.objects.get()
    assert (job.status, job.rows_done, job.rows_total) == ("done", 30, 30)
    batch = Batch.objects.get(pk=job.batch_id)
    assert batch.file_format == "xlsx" and batch.rows_total == 30
    stored = list(Prediction.objects.filter(batch_id=batch.pk).values_list("batch_row", flat=True))
    assert sorted(stored) == list(range(30))


def test_the_batch_worker_runs_the_queue_and_outlives_a_database_that_stops_it(
    api, production_model
):
    """`batch_worker` runs django-tasks' worker: with the database read-only (SQLite's
    `PRAGMA query_only`, so claiming a job fails) it restarts it, then stops saying why
    after `--max-restarts`; the job stays queued, and once the database takes writes again
    the worker stores every row."""
    from django.core.management.base import CommandError
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PRAGMA query_only is SQLite's")
    response = api.post(URL, class_csv(3), content_type="text/csv", HTTP_PREFER="respond-async")
    options = {"batch": True, "interval": 0, "restart_delay": 0, "verbosity": 0}
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        with pytest.raises(CommandError, match="2 times in a row; last: .*readonly"):
            call_command("batch_worker", max_restarts=1, **options)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
    assert api.get(response["Location"]).json()["status"] == "queued"
    call_command("batch_worker", **options)
    body = api.get(response["Location"]).json()
    assert (body["status"], body["rows_scored"]) == ("done", 3)
