using System.Net;
using Flexprice.Grains.Storage;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Flexprice.Tests.Security;

/// <summary>Keys that cannot be guessed, and ids that say nothing about each other.</summary>
[Collection(ApiCollection.Name)]
public sealed class SecretsTests(ApiFactory api)
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [Fact]
    public void Api_keys_carry_at_least_256_random_bits_in_base62()
    {
        var keys = Enumerable.Range(0, 2000).Select(_ => Ids.NewApiKey()).ToList();

        Assert.True(Ids.ApiKeyRandomChars * Math.Log2(62) >= 256);
        Assert.All(keys, key =>
        {
            Assert.StartsWith("sk_", key, StringComparison.Ordinal);
            Assert.Equal(3 + Ids.ApiKeyRandomChars, key.Length);
            Assert.All(key[3..], c => Assert.Contains(c, Base62));
        });
        Assert.Equal(keys.Count, keys.Distinct().Count());

        // Every character equally likely: 86,000 draws, about 1,387 per character (a 4-sigma band).
        var counts = keys.SelectMany(k => k[3..]).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(62, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 1240, 1535));
    }

    [Fact]
    public void Ids_are_ulids_of_the_clock_with_a_random_part_of_their_own()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, 123, TimeSpan.Zero));

        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.New("event", time)).ToList();

        Assert.All(ids, id =>
        {
            Assert.StartsWith("event_", id, StringComparison.Ordinal);
            var ulid = Ulid.Parse(id["event_".Length..]);
            Assert.Equal(time.GetUtcNow(), ulid.Time);
        });
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Same millisecond: the random parts are not a counter (the ULID library's monotonic form would be).
        var randomParts = ids.Select(id => Ulid.Parse(id["event_".Length..]).Random.ToArray()).ToList();
        Assert.True(randomParts.Zip(randomParts.Skip(1)).Count(p => p.First.AsSpan()[..8].SequenceEqual(p.Second.AsSpan()[..8])) == 0);
    }

    [Fact]
    public async Task Keys_made_through_the_api_have_the_new_shape_and_work()
    {
        using var tenant = await api.NewTenantAsync();
        var created = await (await tenant.PostJsonAsync("/v1/secrets/api/keys", """{"name": "worker"}""")).ReadJsonAsync(HttpStatusCode.Created);
        var raw = created.GetProperty("api_key").GetString()!;

        Assert.Matches("^sk_[0-9A-Za-z]{43}$", tenant.ApiKey);
        Assert.Matches("^sk_[0-9A-Za-z]{43}$", raw);
        using var client = api.ClientWithKey(raw);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/customers")).StatusCode);
    }
}
