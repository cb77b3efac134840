using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flexprice.Grains;
using Flexprice.Grains.RateLimiting;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Keeps API keys from being guessed at full speed, without ever refusing a valid key: a key is always
/// looked up first, and only failed lookups (unknown or revoked keys) count, in the client address's
/// <see cref="IAuthFailureGrain"/> across API nodes. Past <see cref="RateLimitOptions.FailedAuthPerMinute"/>
/// the address's failures are answered 429, each only after <see cref="RateLimitOptions.FailedAuthPenalty"/>
/// and at most <see cref="RateLimitOptions.FailedAuthConcurrency"/> at once on this node, so a guesser gets
/// few answers a minute while valid keys behind the same address (a NAT, a load balancer) go through as usual.
/// </summary>
public sealed class AuthFailureThrottle(IGrainFactory grains, IOptions<RateLimitOptions> options, TimeProvider time)
{
    private const int MaxRemembered = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _blockedUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _held = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Counts a failed lookup. Refused means the address is over its budget: the caller answers 429 after
    /// <see cref="HoldAsync"/>. While this node knows the address is blocked, the count stays local.
    /// </summary>
    public async Task<RateLimitDecision> RecordFailureAsync(string client)
    {
        if (BlockedFor(client) is { } left)
        {
            return new RateLimitDecision(false, left, 0, options.Value.FailedAuthPerMinute, time.GetUtcNow() + left);
        }

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

    /// <summary>Holds a refused failure's answer: at most FailedAuthConcurrency at once per address, each for FailedAuthPenalty.</summary>
    public async Task HoldAsync(string client, CancellationToken cancellationToken)
    {
        if (_held.Count >= MaxRemembered)
        {
            // Answers held on a forgotten gate still end in their time; only the count per address restarts.
            _held.Clear();
        }

        var gate = _held.GetOrAdd(client, _ => new SemaphoreSlim(Math.Max(1, options.Value.FailedAuthConcurrency)));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await Task.Delay(options.Value.FailedAuthPenalty, time, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>How long the client is still blocked on this node, or null.</summary>
    private TimeSpan? BlockedFor(string client)
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

    private static string Network64(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
