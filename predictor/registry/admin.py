"""Django admin for model versions (compare, promote, roll back) and their audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from predictor.errors import FairnessGateError, ServiceError
from predictor.models import ModelVersion, ModelVersionEvent
from predictor.registry import selectors, services
from predictor.registry.fairness_gate import promotion_fairness_gate
from studentperf.admin import EvidenceAdmin


class LifecycleReasonForm(forms.Form):
    """The confirmation step of a rollback: why it is done (kept in the audit)."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=1000,
        help_text="Why, in a sentence; kept in the audit trail with your name and the time.",
    )


class PromoteForm(LifecycleReasonForm):
    """The confirmation step of a promotion: a reason is required (issue 15), and a refused
    fairness gate can be overridden only by ticking the box (kept in the audit too). The
    server refuses a blank reason and says so at the field (no browser-only check)."""

    use_required_attribute = False

    override_fairness_gate = forms.BooleanField(
        required=False,
        label="Promote despite the fairness gate",
        help_text="Only when you have read its findings; they are kept in the audit trail "
        "beside your reason.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["reason"].error_messages["required"] = (
            "Enter a reason: a promotion is refused without one."
        )


def _history_table(events) -> str:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                event.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                event.action,
                f"v{event.previous_production.version} → v{event.model_version.version}"
                if event.previous_production
                else f"v{event.model_version.version}",
                event.actor.get_username() if event.actor else event.actor_label or "—",
                event.reason or "—",
            )
            for event in events
        ),
    )
    # (Reasons are shown whole here: this is the one place to read them in full.)
    if not rows:
        return "No status changes yet."
    return format_html(
        '<table class="status-history"><thead><tr><th scope="col">When (UTC)</th>'
        '<th scope="col">Action</th><th scope="col">From → to</th><th scope="col">Who</th>'
        '<th scope="col">Why</th></tr></thead><tbody>{}</tbody></table>',
        rows,
    )


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Versions are created by ``train_model``; here they are compared, promoted and rolled
    back. Every field is read-only: a stored model is evidence, not a draft."""

    list_display = (
        "version",
        "status",
        "name",
        "algorithm",
        "test_r2",
        "test_mae",
        "created_at",
    )
    list_display_links = ("version",)
    list_filter = ("status", "name", "created_at")
    search_fields = ("version__exact", "name", "algorithm", "data_fingerprint")
    actions = ("promote", "roll_back")
    # The stored JSON is evidence for audits, not reading matter: it starts folded, and the
    # headline figures and a link to the public model card (which lays it all out) come first.
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "version",
                    "status",
                    "name",
                    "algorithm",
                    "created_at",
                    "held_out",
                    "model_card",
                )
            },
        ),
        ("Status history", {"fields": ("status_history",)}),
        (
            "Held-out metrics (as stored)",
            {
                "classes": ("collapse",),
                "fields": ("metrics", "subgroup_errors", "interval_calibration"),
            },
        ),
        (
            "How it was trained (as stored)",
            {
                "classes": ("collapse",),
                "fields": (
                    "params",
                    "leaderboard",
                    "rows",
                    "seed",
                    "quick",
                    "training_seconds",
                    "data_source",
                    "data_fingerprint",
                    "data_report",
                    "library_versions",
                ),
            },
        ),
        ("Artifact", {"classes": ("collapse",), "fields": ("artifact_sha256", "artifact_bytes")}),
    )
    # Everything shown is read-only: versions change only through promote / roll back.
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # The version page's Promote / Roll back buttons lead to the same confirmation
        # page as the list's actions.
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/promote/", wrap(self.promote_view), name="modelversion_promote"),
            path("<path:object_id>/roll-back/", wrap(self.roll_back_view), name="modelversion_rb"),
            *super().get_urls(),
        ]

    def _button_view(self, request, object_id, action):
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=object_id)
        queryset = ModelVersion.objects.filter(pk=version.pk)
        response = getattr(self, action)(request, queryset)
        return response or redirect("admin:predictor_modelversion_change", version.pk)

    def promote_view(self, request, object_id):
        return self._button_view(request, object_id, "promote")

    def roll_back_view(self, request, object_id):
        return self._button_view(request, object_id, "roll_back")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            current = selectors.production_version()
            context["can_promote"] = current is None or current.pk != obj.pk
            context["can_roll_back"] = (
                current is not None
                and current.pk == obj.pk
                and selectors.rollback_target(current=current) is not None
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def changelist_view(self, request, extra_context=None):
        # Not Django's "Select model version to change": nobody edits a version here.
        extra = {"title": "Model versions: compare, promote, roll back", **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            "title": "Model version",
            "show_save": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="held-out R²")
    def test_r2(self, obj):
        value = (obj.metrics or {}).get("test_r2")
        return f"{value:.3f}" if value is not None else "—"

    @admin.display(description="held-out MAE")
    def test_mae(self, obj):
        value = (obj.metrics or {}).get("test_mae")
        return f"{value:.2f}" if value is not None else "—"

    @admin.display(description="held-out figures")
    def held_out(self, obj):
        metrics = obj.metrics or {}
        if "test_mae" not in metrics:
            return "—"
        return (
            f"R² {metrics['test_r2']:.3f} · MAE {metrics['test_mae']:.2f} points · "
            f"RMSE {metrics['test_rmse']:.2f} points · "
            f"{metrics['interval_level']:.0%} range coverage {metrics['interval_coverage']:.1%}"
        )

    @admin.display(description="model card")
    def model_card(self, obj):
        return format_html(
            '<a href="{}">v{}\'s model card</a>: errors by group, the search, the data.',
            reverse("model-detail", args=[obj.version]),
            obj.version,
        )

    @admin.display(description="status changes (newest first)")
    def status_history(self, obj):
        return _history_table(selectors.model_version_events(model_version=obj))

    @admin.action(description="Promote the selected version to production", permissions=["change"])
    def promote(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return None
        target = queryset.get()
        current = selectors.production_version()
        if current is not None and current.pk == target.pk:
            self.message_user(
                request,
                f"Nothing to do: v{target.version} is already in production.",
                messages.ERROR,
            )
            return None
        return self._confirm(
            request, queryset, action="promote", current=current, target=target, verb="Promote"
        )

    @admin.action(
        description="Roll production back to the previous version", permissions=["change"]
    )
    def roll_back(self, request, queryset):
        current = selectors.production_version()
        if current is None:
            self.message_user(request, "No version is in production.", messages.ERROR)
            return None
        if list(queryset.values_list("pk", flat=True)) != [current.pk]:
            self.message_user(
                request,
                f"Select the production version (v{current.version}) to roll it back.",
                messages.ERROR,
            )
            return None
        target = selectors.rollback_target(current=current)
        if target is None:
            self.message_user(
                request,
                f"Nothing to roll back to: v{current.version} has no previous production version.",
                messages.ERROR,
            )
            return None
        return self._confirm(
            request, queryset, action="roll_back", current=current, target=target, verb="Roll back"
        )

    def _confirm(self, request, queryset, *, action, current, target, verb):
        """The intermediate page; on its POST, the one service call and a message.

        A promotion shows both versions' held-out and live figures and alerts, warnings
        when the target is worse or was scored on other rows, and the fairness gate's
        verdict; it needs a reason, and a refused gate needs the override box ticked.
        Messages never start with a version: the admin capitalises their first letter
        (``|capfirst``), which would turn "v2" into "V2".
        """
        form_class = PromoteForm if action == "promote" else LifecycleReasonForm
        form = form_class(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                if action == "promote":
                    done, _ = services.model_version_promote_reviewed(
                        model_version=target,
                        actor=request.user,
                        reason=reason,
                        override_fairness_gate=form.cleaned_data["override_fairness_gate"],
                    )
                else:
                    done = services.model_version_rollback(actor=request.user, reason=reason)
            except FairnessGateError:
                form.add_error(
                    "override_fairness_gate",
                    "The fairness gate refused this version: tick the box to promote it "
                    "anyway, or go back.",
                )
            except ServiceError as exc:
                self.message_user(request, f"Nothing changed: {exc.message}.", messages.ERROR)
                return None
            else:
                previous = f" (was v{current.version})" if current else ""
                self.message_user(
                    request,
                    f"Production is now v{done.version}{previous}. Every web process serves "
                    "it within a few seconds.",
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb}: are you sure?",
            "opts": self.model._meta,
            "action": action,
            "verb": verb,
            "current": current,
            "target": target,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        if action == "promote":
            context["review"] = selectors.promotion_review(current=current, target=target)
            try:
                context["gate"] = promotion_fairness_gate(model_version=target)
            except ServiceError as exc:
                context["gate_error"] = exc.message
        return TemplateResponse(
            request, "admin/predictor/modelversion/lifecycle_confirm.html", context
        )


# Characters of a reason shown in the audit list (the rest on hover and on its page).
REASON_CHARS = 80


@admin.register(ModelVersionEvent)
class ModelVersionEventAdmin(EvidenceAdmin):
    """The audit trail: read-only, never deleted."""

    # The reason comes right after what changed, cut to a line (whole on hover and on the
    # event's page), so that it stays on screen beside the columns a reader scans first.
    list_display = ("created_at", "action", "change", "short_reason", "who")
    list_filter = ("action", "created_at")
    search_fields = ("reason", "actor_label", "actor__username")
    list_select_related = ("actor",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("model_version", "previous_production")

    @admin.display(description="from → to")
    def change(self, obj):
        if obj.previous_production is None:
            return f"v{obj.model_version.version}"
        return f"v{obj.previous_production.version} → v{obj.model_version.version}"

    @admin.display(description="why", ordering="reason")
    def short_reason(self, obj):
        if not obj.reason:
            return "—"
        return format_html(
            '<span title="{}">{}</span>', obj.reason, Truncator(obj.reason).chars(REASON_CHARS)
        )

    @admin.display(description="who")
    def who(self, obj):
        return obj.actor.get_username() if obj.actor else obj.actor_label or "—"
