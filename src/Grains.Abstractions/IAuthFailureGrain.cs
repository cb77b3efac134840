namespace Flexprice.Grains.Abstractions;

/// <summary>
/// Failed authentications from one client address; key: the address (<c>unknown</c> when the server
/// does not know it). Keeps API keys from being guessed at full speed.
/// </summary>
public interface IAuthFailureGrain : IGrainWithStringKey
{
    /// <summary>Counts one failed authentication; refused (and not counted) when <paramref name="limitPerMinute"/> failed in the last 60 seconds.</summary>
    Task<RateLimitDecision> RecordFailure(int limitPerMinute);
}
