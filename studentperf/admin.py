"""Admin plumbing shared by the app's packages."""

from django.contrib import admin


class EvidenceAdmin(admin.ModelAdmin):
    """Stored rows shown as evidence: nobody adds, changes or deletes them in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
