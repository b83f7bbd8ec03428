"""Issue 14, item 9: "Tilldela behörigheter" at 1280×800 with 8 programs and
20 members. The last programs and the Systemadministratör column were off
the screen, and "Administratör" was cut in the selects. Now the grid scrolls
inside its own container with the member column kept in view, and every
select is wide enough for its longest level."""

import pytest
from playwright.sync_api import expect

from clients.catalogue import PROGRAMS
from clients.models import Level, Plan
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

# Where `element` is once scrolled into view inside the grid's container:
# inside the viewport and the container's visible box, not under the sticky
# member column, and that column's cell of its row still in view.
REACHABLE_JS = """el => {
  const box = el.closest('.table-scroll');
  el.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const r = el.getBoundingClientRect(), c = box.getBoundingClientRect();
  const name = el.closest('tr').querySelector('th[scope=row]').getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5
    && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  return {
    in_container: inside(r, c),
    in_viewport: inside(r, view),
    clear_of_names: r.left >= name.right - 0.5,
    names_in_view: inside(name, c) && inside(name, view),
  };
}"""

CLIPPED_SELECTS_JS = """() => [...document.querySelectorAll('table.grid select')]
  .filter(s => s.scrollWidth > s.clientWidth)
  .map(s => s.id + ' ' + s.scrollWidth + '>' + s.clientWidth)"""

# The same measured: the widest option's text ("Administratör") in the
# select's font against the room inside its padding, less the arrow.
CUT_LEVELS_JS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('table.grid select')].filter(s => {
    const style = getComputedStyle(s);
    ctx.font = style.font;
    const widest = Math.max(...[...s.options].map(o => ctx.measureText(o.text).width));
    const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return widest > room - 20;
  }).map(s => s.id + ' ' + s.clientWidth);
}"""


def test_the_grid_fits_1280_by_800(journey, page, world):
    subscription = world.subscription
    subscription.plan = Plan.PRO
    subscription.save(update_fields=["plan"])
    for code, _name in PROGRAMS:
        factories.LicenseFactory(
            subscription=subscription, program=factories.program(code), seats=25
        )
    factories.give_level(world.sysadmin_membership, "lager", Level.ADMIN)
    factories.give_level(world.sysadmin_membership, "arkivplats", Level.ADMIN)
    for n in range(18):
        factories.MembershipFactory(
            subscription=subscription, user__full_name=f"Medlem Medlemsson {n:02d}"
        )
    page.set_viewport_size({"width": 1280, "height": 800})

    j = journey("9-tilldela-1280")
    j.log_in(world.sysadmin.email, factories.PASSWORD)
    j.goto(f"/abonnemang/{subscription.number}/behorigheter/")
    assert page.locator("table.grid tbody th[scope=row]").count() == 20
    expect(page.locator("table.grid thead th")).to_have_count(10)  # 8 programs
    j.snap("grid at 1280")

    # No sideways scroll of the page itself: only the grid's own container.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    assert page.evaluate(CLIPPED_SELECTS_JS) == []
    assert page.evaluate(CUT_LEVELS_JS) == []
    last_program = page.get_by_label("Arkivplats för Lisa Sysadmin")
    expect(last_program).to_have_value(Level.ADMIN)
    sysadmin = page.get_by_label("Systemadministratör: Lisa Sysadmin")
    for element in (last_program, sysadmin):
        place = element.evaluate(REACHABLE_JS)
        assert place == {
            "in_container": True,
            "in_viewport": True,
            "clear_of_names": True,
            "names_in_view": True,
        }, place
    j.snap("scrolled to the last column")
    # The last member's row too (the container scrolls down; the column
    # headings stay above it).
    last_row = page.get_by_label("Systemadministratör: Medlem Medlemsson 17")
    assert last_row.evaluate(REACHABLE_JS)["in_viewport"]
    assert page.evaluate(CLIPPED_SELECTS_JS) == []
