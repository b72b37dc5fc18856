"""DynamoDB, one module per table of template.yaml: its pynamodb model(s), their one mapping to domain
objects, and the reads and writes on that table.

    residents     ResidentsTable        alerts        AlertsTable           idempotency   IdempotencyTable
    geography     GeographyTable        registrations RegistrationsTable    deliveries    DeliveriesTable
    patrol        PatrolTable           audit         AuditTable            units         UnitsTable
    indicators    IndicatorsTable

A use case that writes several tables in one transaction composes them: `dispatch` (alerts, residents,
deliveries) and `incidents` (alerts, units, residents, audit, deliveries). Shared by all: `binding` (the
one binding of models to table names, conditional-failure checks), `cursors`, `batches`.
"""
