"""The platform API and market access (issue 13): parties, roles, consent, and the one policy layer.

Its pure core is here first. :mod:`~meterhub.api.rights` holds the policy's inputs — the principal (a person's role
and party, or a market party's OAuth2 client with its scopes) and the rights over time on metering points (DSO,
supplier-of-record periods, occupancy, consents) as frozen dataclasses that the store fills with one query per
request; :mod:`~meterhub.api.spans` is the algebra of half-open time spans; :mod:`~meterhub.api.policy` turns
(principal, point, scope, period, rights, now) into the visible windows, each naming the right that makes it
visible, and answers which actions a role may take. Every endpoint and page reads personal data through
:func:`meterhub.api.policy.clip`; outside its windows a point is a 404. These modules import nothing but the
standard library and each other (no store, no web framework, no clock).

Around it: :mod:`~meterhub.api.service` — the one policy layer over the store (rights data per request, visible
points and windows, the access log); :mod:`~meterhub.api.auth` and :mod:`~meterhub.api.users` — people,
sessions, throttles, OAuth2 clients, rate limits; :mod:`~meterhub.api.series` — a point's series at a resolution;
the REST routes (:mod:`~meterhub.api.routes_points`, :mod:`~meterhub.api.routes_market`, shared bits in
:mod:`~meterhub.api.common`, errors in :mod:`~meterhub.api.problems`) assembled by :mod:`~meterhub.api.app`.
"""
