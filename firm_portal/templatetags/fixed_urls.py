"""`{% fixed_url "name" %}`: `{% url "name" %}` for a URL that takes no
arguments, reversed once per process instead of on every render.

The layout's menu and footer link to a dozen such pages on every request,
and each `{% url %}` walks the resolver's patterns again (about 65 Python
calls, a tenth of the bench's empty layout). Their URLs change only with
the URL configuration or the script prefix, both part of the key.

    {% load fixed_urls %}<a href="{% fixed_url 'home' %}">…</a>
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=128)
def _reversed(name: str, urlconf: str, prefix: str) -> str:
    del prefix  # part of the key: reverse() reads the current one itself
    return reverse(name, urlconf=urlconf)
