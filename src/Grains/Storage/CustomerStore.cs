using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace Flexprice.Grains.Storage;

/// <summary>The tenants' customers (<c>external_id</c> unique per tenant).</summary>
public sealed class CustomerStore(FlexpriceDatabase database, TimeProvider time)
{
    private const string CustomerColumns =
        "id, tenant_id, external_id, name, email, metadata::text, created_at, address_line1, address_line2, address_city, address_state, address_postal_code, address_country";

    private const int CustomerColumnCount = 13;

    /// <summary>Creates the customer; null when the tenant already has one with this external id.</summary>
    public async Task<CustomerRecord?> CreateCustomerAsync(
        string tenantId, string externalId, string name, string? email, string? metadataJson, CancellationToken cancellationToken, CustomerAddress? address = null)
    {
        address ??= CustomerAddress.None;
        var customer = new CustomerRecord(Ids.New("cust", time), tenantId, externalId, name, email, metadataJson, StoreSql.Now(time), address.IsEmpty ? null : address);
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO customers (id, tenant_id, external_id, name, email, metadata, created_at,
                                   address_line1, address_line2, address_city, address_state, address_postal_code, address_country)
            VALUES (@id, @tenant, @external_id, @name, @email, @metadata::jsonb, @now,
                    @line1, @line2, @city, @state, @postal_code, @country)
            ON CONFLICT (tenant_id, external_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("id", customer.Id));
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("external_id", externalId));
        command.Parameters.Add(new NpgsqlParameter<string>("name", name));
        command.Parameters.Add(new NpgsqlParameter("email", NpgsqlDbType.Text) { Value = (object?)email ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Text) { Value = (object?)metadataJson ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = customer.CreatedAt });
        foreach (var (parameter, value) in new[]
        {
            ("line1", address.Line1), ("line2", address.Line2), ("city", address.City), ("state", address.State), ("postal_code", address.PostalCode), ("country", address.Country),
        })
        {
            command.Parameters.Add(new NpgsqlParameter(parameter, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? customer : null;
    }

    public Task<CustomerRecord?> GetCustomerAsync(string tenantId, string id, CancellationToken cancellationToken) =>
        SingleCustomerAsync("id = @value", tenantId, id, cancellationToken);

    public Task<CustomerRecord?> FindCustomerByExternalIdAsync(string tenantId, string externalId, CancellationToken cancellationToken) =>
        SingleCustomerAsync("external_id = @value", tenantId, externalId, cancellationToken);

    public Task<(ImmutableArray<CustomerRecord> Items, long Total)> ListCustomersAsync(
        string tenantId, int limit, int offset, CancellationToken cancellationToken) =>
        SearchCustomersAsync(tenantId, CustomerSearch.All(limit, offset), cancellationToken);

    /// <summary>The tenant's customers matching <paramref name="search"/>: one page, and how many match in all.</summary>
    public async Task<(ImmutableArray<CustomerRecord> Items, long Total)> SearchCustomersAsync(
        string tenantId, CustomerSearch search, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand();
        var predicate = CustomerPredicate(command, tenantId, search);
        var order = search.Sort.Select(s => $"{SortColumn(s.Field)} {(s.Descending ? "DESC" : "ASC")}").ToList();
        order.Add(search.Sort.FirstOrDefault()?.Descending == false ? "id ASC" : "id DESC");
        command.CommandText = $"""
            SELECT {CustomerColumns}, count(*) OVER () FROM customers WHERE {predicate}
            ORDER BY {string.Join(", ", order)} LIMIT @limit OFFSET @offset
            """;
        command.Parameters.Add(new NpgsqlParameter<int>("limit", search.Limit));
        command.Parameters.Add(new NpgsqlParameter<int>("offset", search.Offset));
        var items = ImmutableArray.CreateBuilder<CustomerRecord>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadCustomer(reader));
                total = reader.GetInt64(CustomerColumnCount);
            }
        }

        if (items.Count == 0 && search.Offset > 0)
        {
            // A page past the end has no row to carry the total.
            await using var count = database.DataSource.CreateCommand();
            count.CommandText = $"SELECT count(*) FROM customers WHERE {CustomerPredicate(count, tenantId, search)}";
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        return (items.ToImmutable(), total);
    }

    /// <summary>The search's criteria as a WHERE clause, their parameters added to <paramref name="command"/>.</summary>
    private static string CustomerPredicate(NpgsqlCommand command, string tenantId, CustomerSearch search)
    {
        var where = new List<string> { "tenant_id = @tenant" };
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        if (search.Ids is { } ids)
        {
            where.Add("id = ANY(@ids)");
            command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. ids] });
        }

        if (search.ExternalIds is { } externalIds)
        {
            where.Add("external_id = ANY(@external_ids)");
            command.Parameters.Add(new NpgsqlParameter<string[]>("external_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. externalIds] });
        }

        if (search.Email is { } email)
        {
            where.Add("lower(email) = lower(@email)");
            command.Parameters.Add(new NpgsqlParameter<string>("email", email));
        }

        if (search.CreatedFrom is { } from)
        {
            where.Add("created_at >= @from");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("from", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(from, DateTimeKind.Utc) });
        }

        if (search.CreatedTo is { } to)
        {
            where.Add("created_at < @to");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("to", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.SpecifyKind(to, DateTimeKind.Utc) });
        }

        return string.Join(" AND ", where);
    }

    private static string SortColumn(CustomerSortField field) => field switch
    {
        CustomerSortField.Name => "name",
        CustomerSortField.ExternalId => "external_id",
        CustomerSortField.Email => "email",
        _ => "created_at",
    };

    private async Task<CustomerRecord?> SingleCustomerAsync(string predicate, string tenantId, string value, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {CustomerColumns} FROM customers WHERE tenant_id = @tenant AND {predicate}");
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", tenantId));
        command.Parameters.Add(new NpgsqlParameter<string>("value", value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadCustomer(reader) : null;
    }

    private static CustomerRecord ReadCustomer(NpgsqlDataReader reader)
    {
        string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        var address = new CustomerAddress(Text(7), Text(8), Text(9), Text(10), Text(11), Text(12));
        return new CustomerRecord(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Text(4), Text(5), reader.GetFieldValue<DateTime>(6),
            address.IsEmpty ? null : address);
    }
}
