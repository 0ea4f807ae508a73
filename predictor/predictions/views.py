"""The teacher's pages: the form, results, history, batches, outcomes. Views parse, call
one service or selector, and render."""

from __future__ import annotations

import uuid
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ml import schema
from predictor.errors import ServiceError, error_text
from predictor.models import Prediction
from predictor.predictions import batches, exports, jobs, selectors, services, uploads
from predictor.predictions.forms import (
    HistoryFilterForm,
    OutcomeForm,
    OutcomeUploadForm,
    PredictionForm,
    UploadForm,
    from_tutorial_post,
)
from predictor.predictions.serializers import job_rate
from predictor.registry import serving
from studentperf.throttling import throttle_posts

MODEL_UNAVAILABLE_TEXT = (
    "Predictions cannot be made right now: no model is ready to score students. The site's "
    "administrator has been alerted; anything you enter now will be kept but not scored."
)
HISTORY_PAGE_SIZE = 25
BATCH_CLASS_ROWS_SHOWN = 500  # a class or a school year; the download has every row


def session_key(request) -> str:
    """The visitor's session key, creating the session on first use (anonymous ownership)."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _predict_from_post(request, data):
    form = PredictionForm(data)
    owner, key = request.user, session_key(request)
    raw = {k: data.get(k) for k in data if k != "csrfmiddlewaretoken"}
    if not form.is_valid():
        services.prediction_reject(
            errors=form.error_messages_by_field(),
            channel=Prediction.Channel.FORM,
            raw_payload=raw,
            features=form.valid_features(),
            owner=owner,
            session_key=key,
            reference=str(data.get("reference", "")),
        )
        return render(
            request, "predictor/home.html", {"form": form, "problems": form.problems()}, status=400
        )
    try:
        prediction = services.prediction_create(
            features=form.features(),
            channel=Prediction.Channel.FORM,
            raw_payload=raw,
            owner=owner,
            session_key=key,
            reference=form.cleaned_data["reference"],
        )
    except ServiceError as exc:
        # A teacher's page names no developer command: 503s get the plain sentence.
        message = MODEL_UNAVAILABLE_TEXT if exc.status_code == 503 else exc.message
        return render(
            request,
            "predictor/home.html",
            {"form": form, "service_error": message},
            status=exc.status_code,
        )
    return redirect("prediction-detail", pk=prediction.pk)


@throttle_posts
@require_http_methods(["GET", "POST"])
def home(request):
    """The prediction form; a valid POST stores the prediction and shows its page."""
    if request.method == "POST":
        return _predict_from_post(request, request.POST)
    context = {"form": PredictionForm()}
    if not serving.can_serve():
        context["service_error"] = MODEL_UNAVAILABLE_TEXT
    return render(request, "predictor/home.html", context)


def _csrf_token_valid(request) -> bool:
    """Whether a POST carries the site's CSRF token, checked by Django's own middleware.
    A post without a CSRF cookie or without a token (every legacy post) cannot pass and is
    not checked, so not logged as a CSRF rejection."""
    sent = "csrfmiddlewaretoken" in request.POST or settings.CSRF_HEADER_NAME in request.META
    if settings.CSRF_COOKIE_NAME not in request.COOKIES or not sent:
        return False
    return CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is None


# The tutorial's HTML form posted here without a CSRF token; old pages and scripts that
# still do must keep working, so the route is exempt, and a post without a valid token is
# kept out of any existing history: another site could have sent it in a visitor's name.
@csrf_exempt
@throttle_posts
@require_http_methods(["GET", "POST"])
def predictdata(request):
    """The tutorial's route: its field names (``ethnicity``), the same result page.

    With a valid CSRF token the post is the visitor's own, as on ``/``. Without one it is
    scored as a fresh anonymous visitor (no owner, a new session, whose cookie the answer
    sets so that the result page opens), except from a logged-in browser, where it is
    refused with a 403 page and nothing is stored: the user is neither credited with a
    forged prediction nor logged out by a new session.
    """
    if request.method == "GET":
        return redirect("home")
    if not _csrf_token_valid(request):
        if request.user.is_authenticated:
            return render(
                request,
                "403.html",
                {"reason": FOREIGN_POST_REFUSED},
                status=403,
            )
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return _predict_from_post(request, from_tutorial_post(request.POST))


FOREIGN_POST_REFUSED = (
    "This form was sent from a page outside studentperf without this site's form token, "
    "so nothing was added to your history. Use the form on the Predict page instead."
)


@require_GET
def prediction_detail(request, pk: int):
    """One prediction's page: score, range, reasons and what-if; someone else's is a 404."""
    result = selectors.prediction_result(pk=pk, user=request.user, session_key=session_key(request))
    if result is None:
        raise Http404("no such prediction")
    services.prediction_what_if(result=result)
    return render(
        request,
        "predictor/prediction_detail.html",
        {"result": result, "error_text": error_text(result.prediction.errors, labels=True)},
    )


@require_POST
def prediction_outcome(request, pk: int):
    """Record the real score from the form on a prediction's page, then show the page."""
    prediction = selectors.prediction_get(
        pk=pk, user=request.user, session_key=session_key(request)
    )
    if prediction is None:
        raise Http404("no such prediction")
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        # The error at the field, the value as typed kept: the page again, not a redirect.
        result = selectors.prediction_result(
            pk=pk, user=request.user, session_key=session_key(request)
        )
        services.prediction_what_if(result=result)
        return render(
            request,
            "predictor/prediction_detail.html",
            {
                "result": result,
                "error_text": error_text(result.prediction.errors, labels=True),
                "outcome_form": form,
                "problems": form.problems(),
            },
            status=400,
        )
    try:
        services.prediction_record_outcome(
            prediction=prediction, actual_math_score=form.cleaned_data["actual_math_score"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Actual math score recorded.")
    return redirect("prediction-detail", pk=pk)


def _history_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def history(request):
    """Your predictions, newest first, filtered and paginated."""
    form = HistoryFilterForm(request.GET)
    page = None
    if form.is_valid():
        rows = selectors.prediction_list(
            user=request.user, session_key=session_key(request), **form.filters()
        )
        page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "predictor/history.html",
        {"form": form, "page": page, "query": _history_query(request)},
        status=200 if page is not None else 400,
    )


@require_GET
def history_export(request):
    """The filtered history as a CSV file, streamed."""
    form = HistoryFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    rows = selectors.prediction_list(
        user=request.user, session_key=session_key(request), **form.filters()
    )
    count, limit = rows.count(), settings.EXPORT_MAX_ROWS
    if count > limit:
        return HttpResponse(
            f"the export would hold {count:,} rows, more than the limit of {limit:,} a file "
            "(EXPORT_MAX_ROWS): narrow it, for instance with the date filters",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(
        exports.csv_lines(
            # Columns the file does not carry are left in the database.
            exports.history_rows(
                rows.defer("raw_payload", "contributions", "baseline", "latency_ms").iterator(
                    chunk_size=2000
                )
            )
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="predictions.csv"'
    return response


@require_http_methods(["GET", "POST"])
def outcome_upload(request):
    """Upload real scores (CSV, TSV or .xlsx) matched by prediction id or reference; a
    report per row."""
    form = OutcomeUploadForm(request.POST or None, request.FILES or None)
    report, error, code = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.prediction_record_outcomes(
                    rows=uploads.outcome_rows(
                        uploads.file_frame(data["file"], sheet=data["sheet"])
                    ),
                    user=request.user,
                    session_key=session_key(request),
                    on_ambiguous=data["on_ambiguous"] or "newest",
                )
            except ServiceError as exc:
                error, code = exc.message, exc.status_code
        else:
            code = 400
    return render(
        request,
        "predictor/outcome_upload.html",
        {"form": form, "report": report, "error": error},
        status=code,
    )


@throttle_posts
@require_http_methods(["GET", "POST"])
def batch_upload(request):
    """Upload a class (CSV, TSV or .xlsx); every row is scored or rejected, then the
    batch's page."""
    form = UploadForm(request.POST or None, request.FILES or None)
    error, code = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return _score_upload(request, form.cleaned_data["file"], form.cleaned_data["sheet"])
            except ServiceError as exc:
                # A teacher's page names no developer command: 503s get the plain sentence.
                error = MODEL_UNAVAILABLE_TEXT if exc.status_code == 503 else exc.message
                code = exc.status_code
        else:
            code = 400
    batches = selectors.batch_list(user=request.user, session_key=session_key(request))
    jobs_pending = selectors.batch_job_list(user=request.user, session_key=session_key(request))
    return render(
        request,
        "predictor/batch.html",
        {
            "form": form,
            "error": error,
            "batches": batches,
            "jobs": jobs_pending,
            "columns": schema.FEATURES,
            "sync_rows": settings.BATCH_SYNC_MAX_ROWS,
            "max_rows": settings.BATCH_JOB_MAX_ROWS,
            "max_bytes": settings.BATCH_JOB_MAX_BYTES,
        },
        status=code,
    )


def _score_upload(request, file, sheet: str = ""):
    """A small file scored now (then its batch's page), a large one as a job (its page)."""
    upload = uploads.file_upload(file, sheet=sheet)
    if upload.as_job or uploads.prefers_async(request.META):
        job = jobs.batch_job_from_upload(
            upload=upload, owner=request.user, session_key=session_key(request)
        )
        response = redirect("batch-job-detail", job_id=job.pk)
        response.status_code = 303
        return response
    result = batches.prediction_create_batch(
        frame=upload.frame(),
        owner=request.user,
        session_key=session_key(request),
        source_name=upload.source_name,
    )
    return redirect("batch-detail", batch_id=result.batch.pk)


@require_GET
def batch_job_detail(request, job_id: uuid.UUID):
    """A batch job's progress (the page refreshes itself while it runs) and, once done,
    the batch's summary and download."""
    job = selectors.batch_job_get(
        job_id=job_id, user=request.user, session_key=session_key(request)
    )
    if job is None:
        raise Http404("no such job")
    percent = round(100 * job.rows_done / job.rows_total) if job.rows_total else 0
    return render(
        request,
        "predictor/batch_job.html",
        {
            "job": job,
            "batch": job.batch,
            "percent": percent,
            "rate": job_rate(job),
            "running": job.status in ("queued", "running"),
        },
    )


def _visible_batch(request, batch_id: uuid.UUID):
    batch = selectors.batch_get(
        batch_id=batch_id, user=request.user, session_key=session_key(request)
    )
    if batch is None:
        raise Http404("no such batch")
    return batch


@require_GET
def batch_detail(request, batch_id: uuid.UUID):
    """A batch's summary: the class (each row's name and other columns, score, range and
    status, refused values named), the reasons rows were rejected, and its downloads."""
    batch = _visible_batch(request, batch_id)
    extras, rows = selectors.batch_class(batch=batch, limit=BATCH_CLASS_ROWS_SHOWN)
    return render(
        request,
        "predictor/batch_detail.html",
        {
            "batch": batch,
            "versions": selectors.batch_versions(batch=batch),
            "extras": extras,
            "rows": rows,
            "rows_shown": BATCH_CLASS_ROWS_SHOWN,
            "is_workbook": batch.file_format == "xlsx",
        },
    )


@require_GET
def batch_download(request, batch_id: uuid.UUID, file_format: str = "csv"):
    """The batch with its results, named after the upload: ``.csv`` written as the upload
    was (its delimiter and byte-order mark; a workbook's as UTF-8 with a BOM, which Excel
    reads), or ``.xlsx``. The input's rows and columns, in order, then the results."""
    batch = _visible_batch(request, batch_id)
    wanted = file_format
    text = batch.file_format == "csv"
    # A semicolon file comes from an Excel whose decimal mark is a comma (Europe).
    decimal = "," if wanted == "csv" and text and batch.delimiter == ";" else "."
    rows = exports.batch_rows(
        batch, selectors.batch_predictions(batch=batch).iterator(chunk_size=2000), decimal=decimal
    )
    if wanted == "xlsx":
        return FileResponse(
            exports.xlsx_file(rows),
            as_attachment=True,
            filename=exports.batch_filename(batch, "xlsx"),
            content_type=XLSX_TYPE,
        )
    response = StreamingHttpResponse(
        exports.csv_lines(
            rows,
            delimiter=batch.delimiter if text else ",",
            byte_order_mark=batch.byte_order_mark if text else True,
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.batch_filename(batch, "csv")}"'
    )
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def batch_template(request, kind: str, extension: str):
    """An empty file to fill in: a class to score (``kind`` ``class``) or its real scores
    (``scores``), as CSV or a workbook."""
    rows = exports.template_rows() if kind == "class" else exports.OUTCOME_TEMPLATE_ROWS
    name = f"studentperf-{kind}-template.{extension}"
    if extension == "xlsx":
        return FileResponse(
            exports.xlsx_file(rows, title=kind),
            as_attachment=True,
            filename=name,
            content_type=XLSX_TYPE,
        )
    response = HttpResponse(
        "".join(exports.csv_lines(rows, byte_order_mark=True)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
