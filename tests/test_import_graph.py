"""tests/import_graph.py (`make imports`): the counts README "Layers" quotes."""

import grimp

from tests import import_graph


def _graph(*edges: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in edges:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    return graph


def test_modules_are_sorted_into_the_target_order() -> None:
    assert import_graph.layer_of("firm_portal.settings") == "project"
    assert import_graph.layer_of("firm_portal.management.commands.seed_demo") == "project"
    assert import_graph.layer_of("collaboration.new_customer.views") == "pages"
    assert import_graph.layer_of("clients.urls") == "pages"
    assert import_graph.layer_of("ledger.services") == "ledger"
    assert import_graph.layer_of("ledger.models") == "ledger"
    assert import_graph.layer_of("collaboration.ledger.text") == "collaboration"
    assert import_graph.layer_of("firm_portal.models") == "firm_portal"


def test_only_imports_into_a_higher_layer_count_against_the_order() -> None:
    def imp(importer: str, imported: str) -> import_graph.Import:
        return import_graph.Import(importer, imported, 1, local=False)

    imports = [
        imp("collaboration.requests.services", "clients.models"),  # down
        imp("clients.services", "ledger.services"),  # down: the ledger is at the bottom
        imp("ledger.services", "notifications.services"),  # same rank
        imp("clients.views", "collaboration.client_list.selectors"),  # a page, on top
        imp("notifications.services", "firm_portal.metrics"),  # down: a shared helper
        imp("firm_portal.selectors", "clients.selectors"),  # up
        imp("notifications.services", "firm_portal.models"),  # up
    ]
    assert import_graph.upward(imports) == imports[5:]


def test_module_cycles_are_the_strongly_connected_components() -> None:
    graph = _graph(
        ("clients.a", "clients.b"),
        ("clients.b", "clients.c"),
        ("clients.c", "clients.a"),
        ("clients.c", "clients.d"),
        ("licensing.x", "licensing.y"),
        ("licensing.y", "licensing.x"),
        ("clients.a.migrations.0001", "clients.a"),
    )
    assert import_graph.module_cycles(graph) == [
        ["clients.a", "clients.b", "clients.c"],
        ["licensing.x", "licensing.y"],
    ]


def test_the_repository_is_read_across_apps_only_migrations_left_out() -> None:
    imports = import_graph.cross_app_imports(import_graph.build())
    assert imports
    assert all(i.pair[0] != i.pair[1] for i in imports)
    assert not any(".migrations" in i.importer or ".migrations" in i.imported for i in imports)


def test_the_shared_helpers_are_the_bottom_layer() -> None:
    assert import_graph.layer_of("firm_portal.timeutils") == "helpers"
    assert import_graph.layer_of("firm_portal.choices") == "helpers"
    assert import_graph.layer_of("firm_portal.phone") == "firm_portal"  # uses notifications.sms


def test_a_foreign_key_into_a_higher_layer_runs_against_the_order() -> None:
    def ref(source: str, target: str) -> import_graph.Reference:
        return import_graph.Reference(f"{source}.Model.field", source, target)

    assert ref("clients", "collaboration").upward  # as firm_portal.Invitation -> clients was
    assert ref("ledger", "firm_portal").upward  # the ledger sits below every app
    assert ref("licensing", "collaboration").upward  # as FirmCharge.manual_coupling was
    assert not ref("collaboration", "clients").upward
    assert not ref("clients", "firm_portal").upward


def test_no_model_points_into_a_higher_layer() -> None:
    references = import_graph.model_references()
    assert any(r.field == "clients.Membership.consultant" for r in references)
    assert [r for r in references if r.upward] == []


def test_no_app_code_looks_a_model_up_by_name() -> None:
    """`apps.get_model("app", "Model")` outside migrations is an import that
    neither import-linter nor the model registry sees (clients once reached
    collaboration.Coupling that way); app code imports its models."""
    root = import_graph.ROOT
    found = [
        f"{path.relative_to(root)}:{number}"
        for app in import_graph.APPS
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "get_model(" in line
    ]
    assert found == []
