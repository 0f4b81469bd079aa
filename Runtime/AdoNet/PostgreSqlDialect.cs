using System.Data.Common;
using Npgsql;

namespace OrleansConnect.Runtime.AdoNet;

internal sealed class PostgreSqlDialect : SqlDialect
{
    public override string Name => GrainRuntimeOptions.PostgreSql;

    public override DbProviderFactory Factory => NpgsqlFactory.Instance;

    public override string CreateSchemaVersionTable => """
        CREATE TABLE IF NOT EXISTS oc_schema_version (
            version     INTEGER     NOT NULL PRIMARY KEY,
            description TEXT        NOT NULL,
            applied_utc TIMESTAMPTZ NOT NULL
        )
        """;

    // Serializes concurrent migrations of several silos; released at commit.
    public override string? MigrationLock => "LOCK TABLE oc_schema_version IN ACCESS EXCLUSIVE MODE";

    public override IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "grain state and reminders",
        [
            """
            CREATE TABLE IF NOT EXISTS oc_grain_state (
                service_id   TEXT        NOT NULL,
                grain_type   TEXT        NOT NULL,
                grain_key    TEXT        NOT NULL,
                state_name   TEXT        NOT NULL,
                version      BIGINT      NOT NULL,
                payload      TEXT        NULL,
                modified_utc TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key, state_name)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_reminders (
                service_id    TEXT        NOT NULL,
                grain_type    TEXT        NOT NULL,
                grain_key     TEXT        NOT NULL,
                reminder_name TEXT        NOT NULL,
                start_utc     TIMESTAMPTZ NOT NULL,
                period_ms     BIGINT      NOT NULL,
                last_tick_utc TIMESTAMPTZ NULL,
                modified_utc  TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key, reminder_name)
            )
            """,
        ]),
        new(2, "cluster membership and grain directory",
        [
            """
            CREATE TABLE IF NOT EXISTS oc_membership_version (
                service_id TEXT    NOT NULL PRIMARY KEY,
                version    BIGINT  NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_membership (
                service_id       TEXT    NOT NULL,
                silo_id          TEXT    NOT NULL,
                generation       BIGINT  NOT NULL,
                address          TEXT    NOT NULL,
                status           TEXT    NOT NULL,
                start_utc        TIMESTAMPTZ NOT NULL,
                i_am_alive_utc   TIMESTAMPTZ NOT NULL,
                activation_count INTEGER NOT NULL,
                type_counts      TEXT    NULL,
                PRIMARY KEY (service_id, silo_id, generation)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_grain_directory (
                service_id      TEXT    NOT NULL,
                grain_type      TEXT    NOT NULL,
                grain_key       TEXT    NOT NULL,
                silo_id         TEXT    NULL,
                silo_generation BIGINT  NULL,
                activation_id   TEXT    NULL,
                epoch           BIGINT  NOT NULL,
                modified_utc    TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key)
            )
            """,
            "CREATE INDEX IF NOT EXISTS ix_oc_grain_directory_silo ON oc_grain_directory (service_id, silo_id, silo_generation)",
        ]),
    ];
}
