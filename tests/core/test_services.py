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
