"""The database beyond one server (read replicas, partitioning, a pooler): the measurement code of the
coming `11_db_scale_out` notebook. Until that notebook exists this is a helper package (no `NOTEBOOK`)."""
