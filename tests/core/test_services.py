import pytest

from studio.core.services import Services, ServiceUnavailableError


def test_provided_service_is_found_and_withdrawn_with_its_owner():
    services = Services()
    registry = object()
    services.provide("models", registry, owner="models")
    assert services.get("models") is registry
    assert services.owner_of("models") == "models"
    assert services.withdraw_owned("models") == [registry]
    with pytest.raises(ServiceUnavailableError, match="'models'"):
        services.get("models")


def test_a_name_is_provided_once():
    services = Services()
    services.provide("deploy", object(), owner="deploy")
    with pytest.raises(ValueError, match="already provided by plugin 'deploy'"):
        services.provide("deploy", object(), owner="other")


def test_two_studios_share_nothing(studio_factory):
    first, second = studio_factory(builtins=()), studio_factory(builtins=())
    first.services.provide("x", 1, owner="a")
    assert not second.services.has("x")


def test_a_declared_core_service_is_built_once_on_first_use_from_any_thread():
    import threading

    services = Services()
    built = []

    def factory() -> object:
        built.append(threading.current_thread().name)
        return object()

    services.declare("process", factory)
    assert services.built("process") is None and built == []  # nothing built until used
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(services.process)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len({id(s) for s in seen}) == 1
    assert services.built("process") is services.process
    with pytest.raises(AttributeError, match="no attribute 'undeclared'"):
        services.undeclared  # noqa: B018


def test_a_studio_builds_its_core_services_only_when_used(studio_factory):
    studio = studio_factory(builtins=(), start=False)
    assert all(studio.services.built(name) is None for name in ("process", "remote", "tools"))
    assert studio.services.process is studio.services.process  # built now, and kept
    studio.shutdown()  # stops what was built; the unused remote manager is never made
    assert studio.services.built("remote") is None
