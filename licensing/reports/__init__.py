"""What subscriptions cost and the report "Oanvända licenser": the reads in
`selectors`, the report's pages and CSV in `views` and `urls`."""

# collaboration/requests/views.py imports the cost preview from here (the
# module's old path); it moves to `licensing.reports.selectors` with that file.
from licensing.reports.selectors import collaboration_cost

__all__ = ["collaboration_cost"]
