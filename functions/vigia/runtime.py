"""The composition root: the city pack and the stores a handler uses, built once per environment."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from vigia import settings

if TYPE_CHECKING:
    from vigia.adapters.cognito import CognitoIdentity
    from vigia.adapters.incidents_store import DynamoIncidentStore, SqsNotifier
    from vigia.adapters.indicators_store import IndicatorPorts
    from vigia.adapters.patrol_store import DynamoAlertHistory, DynamoPatrolStore
    from vigia.adapters.registrations_store import DynamoRegistrationStore, SecretKeys
    from vigia.adapters.sealing import KmsSealer
    from vigia.adapters.sender_mac import SecretsManagerMac
    from vigia.adapters.stores import DynamoAlertStore, DynamoResidentStore
    from vigia.city import CityPack


@functools.cache
def city_pack() -> CityPack:
    from vigia.city import load_city_pack

    s = settings.get()
    return load_city_pack(s.city_pack_dir, s.city_pack_schema)


@functools.cache
def residents() -> DynamoResidentStore:
    from vigia.adapters.stores import DynamoResidentStore

    return DynamoResidentStore()


@functools.cache
def alerts() -> DynamoAlertStore:
    from vigia.adapters.stores import DynamoAlertStore

    return DynamoAlertStore()


@functools.cache
def identity() -> CognitoIdentity:
    from vigia.adapters.cognito import CognitoIdentity

    return CognitoIdentity()


@functools.cache
def patrols() -> DynamoPatrolStore:
    from vigia.adapters.patrol_store import DynamoPatrolStore

    return DynamoPatrolStore()


def alert_history() -> DynamoAlertHistory:
    """A reader of one local day of alerts at a time (new each call: it counts its queries)."""
    from vigia.adapters.patrol_store import DynamoAlertHistory

    return DynamoAlertHistory()


def indicator_ports() -> IndicatorPorts:
    """The nightly indicators' city frame and stores (cheap: no AWS call until one is used)."""
    from vigia.adapters.indicators_store import ports

    return ports(city_pack())


def sealer() -> KmsSealer:
    """Seals and opens silent alerts' identities (SealKey); cheap: no AWS call until it is used."""
    from vigia.adapters.sealing import KmsSealer

    return KmsSealer(settings.get().seal_key_id)


def sender_mac() -> SecretsManagerMac:
    """MACs a silent alert's sender-derived values (cheap: the secret is read once, on first use)."""
    from vigia.adapters.sender_mac import SecretsManagerMac

    return SecretsManagerMac(settings.get().silent_mac_secret_id)


def incidents() -> DynamoIncidentStore:
    """Incidents, units and residents' standing (cheap: binds its models to the current settings)."""
    from vigia.adapters.incidents_store import DynamoIncidentStore

    return DynamoIncidentStore()


def registrations() -> DynamoRegistrationStore:
    """Registrations waiting for their code and per-source counts (cheap: binds its model)."""
    from vigia.adapters.registrations_store import DynamoRegistrationStore

    return DynamoRegistrationStore()


def registration_keys() -> SecretKeys:
    """The MAC and sealing keys of registration (one Secrets Manager read per execution environment)."""
    from vigia.adapters.registrations_store import keys

    return keys()


def incident_notifier() -> SqsNotifier:
    from vigia.adapters.incidents_store import SqsNotifier

    return SqsNotifier()


def reset() -> None:
    for factory in (city_pack, residents, alerts, identity, patrols):
        factory.cache_clear()
