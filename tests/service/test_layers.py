"""The areas' layers: no module imports another area's views (views are the top of an area; only
the app factory registers every area's blueprints)."""
from tests.support.imports import imports_of, modules

VIEW_MODULES = {name for name in modules() if name.rpartition(".")[2] in ("views", "api")}
FACTORY = "consent_service"


def area(name):
    """``consent_service.audit.views`` -> ``audit``; a top-level module is an area of its own."""
    return name.split(".")[1] if "." in name else name


def test_no_module_imports_another_areas_views():
    wrong = {name: sorted(view for view in imports_of(name) & VIEW_MODULES if area(view) != area(name))
             for name in modules() if name != FACTORY}
    assert not {name: views for name, views in wrong.items() if views}


def test_there_are_view_modules_to_check():
    assert {"consent_service.ledger.api", "consent_service.state.views", "consent_service.audit.views"} <= VIEW_MODULES


def test_no_view_module_imports_another():
    """Views parse, call a service and dump: what two views share lives below them."""
    wrong = {name: sorted(imports_of(name) & VIEW_MODULES - {name}) for name in VIEW_MODULES}
    assert not {name: views for name, views in wrong.items() if views}
