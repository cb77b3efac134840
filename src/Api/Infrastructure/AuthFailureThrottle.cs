using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flexprice.Grains;
using Flexprice.Grains.RateLimiting;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Keeps API keys from being guessed at full speed: each failed lookup (unknown or revoked key) is
/// counted in the client address's <see cref="IAuthFailureGrain"/>, across API nodes; past
/// <see cref="RateLimitOptions.FailedAuthPerMinute"/> the address gets 429 until its window frees up.
/// While blocked, a key this node has not seen succeed is refused here, with no lookup; keys that
/// authenticated here before go through as usual, so valid keys behind the same address keep working.
/// Requests with valid keys never reach the grain.
/// </summary>
public sealed class AuthFailureThrottle(IGrainFactory grains, IOptions<RateLimitOptions> options, TimeProvider time)
{
    private const int MaxRemembered = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _blockedUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _validKeyHashes = new(StringComparer.Ordinal);

    /// <summary>
    /// The address a client is counted under: IPv4, or the /64 network of an IPv6 address (one host
    /// commonly holds a whole /64); <c>unknown</c> when the server does not know it (in-process test hosts).
    /// </summary>
    public static string ClientOf(HttpContext http) => http.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        { AddressFamily: AddressFamily.InterNetworkV6 } v6 => Network64(v6),
        var v4 => v4.ToString(),
    };

    /// <summary>How long the client is still blocked on this node, or null.</summary>
    public TimeSpan? BlockedFor(string client)
    {
        if (!_blockedUntil.TryGetValue(client, out var until))
        {
            return null;
        }

        var left = until - time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            return left;
        }

        _blockedUntil.TryRemove(KeyValuePair.Create(client, until));
        return null;
    }

    public bool SucceededBefore(string keyHash) => _validKeyHashes.ContainsKey(keyHash);

    public void RememberSuccess(string keyHash)
    {
        if (_validKeyHashes.Count >= MaxRemembered)
        {
            _validKeyHashes.Clear();
        }

        _validKeyHashes.TryAdd(keyHash, 0);
    }

    /// <summary>Counts a failed lookup; refused means the client is over its budget (and now blocked on this node).</summary>
    public async Task<RateLimitDecision> RecordFailureAsync(string client)
    {
        var decision = await grains.GetGrain<IAuthFailureGrain>(client).RecordFailure(options.Value.FailedAuthPerMinute);
        if (!decision.Allowed)
        {
            if (_blockedUntil.Count >= MaxRemembered)
            {
                _blockedUntil.Clear();
            }

            _blockedUntil[client] = time.GetUtcNow() + decision.RetryAfter;
        }

        return decision;
    }

    private static string Network64(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
