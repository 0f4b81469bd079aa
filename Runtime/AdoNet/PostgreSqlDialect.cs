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
    ];
}
