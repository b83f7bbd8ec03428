"""`manage.py seed_firm_change`: after `seed_demo`, point out (and prepare)
the subscription where "Byte av byrå" (flow 7) can be tried. Its own
command, not a line in seed_demo.py: that module is over the 600-line limit
(tests/test_code_shape.py) and is being split; `make run` runs both."""

from typing import Any

from django.core.management.base import BaseCommand

from firm_portal.management.demo.firm_change import firm_change_demo


class Command(BaseCommand):
    help = 'Prepare the demo\'s "Byte av byrå" subscription (run after seed_demo).'

    def handle(self, *args: Any, **options: Any) -> None:
        firm_change_demo(self.stdout)
