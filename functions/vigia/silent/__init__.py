"""Silent alarms: gender and intrafamily violence alerts reach only the response team, the victim sealed.

- sealing: what leaves the alert record (identity, place, note, specific type) and how it is sealed
- access: who may read what of a silent alert (one table)
- views: the sealed view (operators, police, analysts) and the unsealed one (response team)
- routing: apart at the stream relay, then response-team SMS and an optional Private CAP only
See docs/silent-alarms.md.
"""
