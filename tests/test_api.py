"""
The public surface: what ``import clientid`` promises.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import pickle

import pytest

import clientid
from clientid import errors

#: The names DESIGN §5 makes part of the contract.
CONTRACT_NAMES = [
    "AcmeIdentifier",
    "ActivityLog",
    "ActivityReport",
    "AuthMount",
    "Client",
    "ClientCounter",
    "ClientIdError",
    "ClientType",
    "Entity",
    "EntityAlias",
    "ExactClientSet",
    "Group",
    "GroupAlias",
    "GroupType",
    "HyperLogLog",
    "IdentityStore",
    "Namespace",
    "SecretSyncAssociation",
    "Token",
    "TokenRole",
    "TokenType",
    "acme_client_id",
    "client_for_token",
    "non_entity_client_id",
    "sanitize_policies",
    "secret_sync_client_id",
]


def _public_classes() -> list[type]:
    return [
        obj
        for name in clientid.__all__
        if inspect.isclass(obj := getattr(clientid, name))
    ]


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_unique():
    """
    ``__all__`` lists every public name once, in isort order.
    """
    assert sorted(set(clientid.__all__), key=_isort_key) == clientid.__all__


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_contract_name_is_exported(name):
    """
    Every public name of the design contract is importable from clientid.
    """
    assert name in clientid.__all__
    assert getattr(clientid, name) is not None


def test_every_exported_name_exists():
    """
    Nothing in ``__all__`` is dangling.
    """
    missing = [n for n in clientid.__all__ if not hasattr(clientid, n)]

    assert missing == []


def test_dir_lists_the_public_names_and_version():
    """
    ``dir(clientid)`` shows the public surface and ``__version__``.
    """
    assert sorted(dir(clientid)) == sorted([*clientid.__all__, "__version__"])


def test_version_matches_metadata():
    """
    ``clientid.__version__`` is the installed distribution's version.
    """
    assert clientid.__version__ == importlib.metadata.version("clientid")


def test_unknown_attribute_raises_attribute_error():
    """
    Asking for a name clientid does not have raises AttributeError.
    """
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = clientid.nope


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda c: c.__name__)
def test_public_class_is_final(cls):
    """
    Public classes are not meant to be subclassed and say so.
    """
    if getattr(cls, "_is_protocol", False):
        pytest.skip("protocols are meant to be implemented")
    if cls.__subclasses__():
        pytest.skip("error bases are meant to be subclassed")

    assert getattr(cls, "__final__", False) is True


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda c: c.__name__)
def test_public_class_is_documented(cls):
    """
    Every public class has a docstring.
    """
    assert inspect.getdoc(cls)


def _error_classes() -> list[type[errors.ClientIdError]]:
    return [
        obj
        for name in errors.__all__
        if isinstance(obj := getattr(errors, name), type)
        and issubclass(obj, errors.ClientIdError)
    ]


def test_every_error_derives_from_the_base():
    """
    Every class in clientid.errors is a ClientIdError.
    """
    assert all(issubclass(c, errors.ClientIdError) for c in _error_classes())


def _sample(cls: type[errors.ClientIdError]) -> errors.ClientIdError:
    if cls is errors.ClientIdError:
        return cls("something went wrong")
    signature = inspect.signature(cls)
    if any(
        p.kind is inspect.Parameter.VAR_POSITIONAL
        for p in signature.parameters.values()
    ):
        return cls("something went wrong")
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for parameter in signature.parameters.values():
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = f"<{parameter.name}>"
        elif parameter.name == "messages":
            args.append(("first problem", "second problem"))
        else:
            args.append(f"<{parameter.name}>")
    return cls(*args, **kwargs)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_error_pickles_with_its_data(cls):
    """
    Errors survive pickling with their message and attributes intact.
    """
    error = _sample(cls)

    clone = pickle.loads(pickle.dumps(error))

    assert type(clone) is cls
    assert str(clone) == str(error)
    assert vars(clone) == vars(error)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_error_message_is_not_empty(cls):
    """
    Every error says something when printed.
    """
    assert str(_sample(cls))


def test_public_functions_are_fully_annotated():
    """
    Every public function annotates its parameters and return value.
    """
    unannotated = []
    for name in clientid.__all__:
        obj = getattr(clientid, name)
        if inspect.isfunction(obj):
            signature = inspect.signature(obj)
            missing = [
                p
                for p in signature.parameters.values()
                if p.annotation is inspect.Parameter.empty
            ]
            if missing or signature.return_annotation is signature.empty:
                unannotated.append(name)

    assert unannotated == []
