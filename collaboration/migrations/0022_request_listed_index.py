# "Skickade förfrågningar" lists expired requests until handled (flow 8,
# 0021), so the firm's index of pending requests no longer served the start
# page: it fetched and sorted all of a firm's listed requests for ten. The new
# index has the list's own condition and order; it is added before the old
# one goes, so the page always has one.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0021_request_expiry_handled"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="collaborationrequest",
            index=models.Index(
                condition=models.Q(
                    ("status", "pending"),
                    models.Q(("expiry_handled_at__isnull", True), ("status", "expired")),
                    _connector="OR",
                ),
                fields=["firm", "created_at", "id"],
                name="request_listed_by_firm_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="collaborationrequest",
            name="request_pending_by_firm_idx",
        ),
    ]
