"""``request.cf`` (IncomingRequestCfProperties) for an emulated client.

Field names and types follow
https://developers.cloudflare.com/workers/runtime-apis/request/#incomingrequestcfproperties:
``latitude``/``longitude`` are strings, ``asn`` an int, ``isEUCountry`` is "1" only inside the
EU. Location fields come from the cities table; a field the table cannot answer (``postalCode``
unless the client table gives one, ``metroCode``) is absent, as on Cloudflare when unknown.
"""

from __future__ import annotations

from typing import Any

from .geo import City
from .topology import Location, PopSite

__all__ = ["DEFAULT_ASN", "cf_properties"]

# A private-use ASN (RFC 6996) for clients the client table does not name.
DEFAULT_ASN = 64512

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


def cf_properties(pop: PopSite, client: Location, city: City | None) -> dict[str, Any]:
    """The cf object for ``client`` served by ``pop``; ``city`` is the client's nearest city."""
    fields: dict[str, Any] = {
        "colo": pop.colo,
        "asn": client.asn if client.asn is not None else DEFAULT_ASN,
        "asOrganization": "popcache emulated network",
        "latitude": f"{client.latitude:.5f}",
        "longitude": f"{client.longitude:.5f}",
        "httpProtocol": "HTTP/1.1",
        "tlsVersion": "",
        "tlsCipher": "",
        "clientTcpRtt": 0,
        "requestPriority": "",
        "edgeRequestKeepAliveStatus": 1,
        "clientAcceptEncoding": "gzip, deflate, br",
        "verifiedBotCategory": "",
    }
    if city is not None:
        fields.update(
            country=city.country,
            city=city.name,
            region=city.region,
            regionCode=city.region_code,
            timezone=city.timezone,
            continent=city.continent,
        )
    else:
        fields.update(country=pop.country, city=pop.city)
    if fields["country"] in EU_COUNTRIES:
        fields["isEUCountry"] = "1"
    if client.postal_code is not None:
        fields["postalCode"] = client.postal_code
    return fields
