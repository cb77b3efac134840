using Flexprice.Client.Events;

namespace Flexprice.Client.Sending;

/// <summary>What <see cref="BulkDelivery"/> reports while it settles a batch: each event ends in exactly one <see cref="Accepted"/> or <see cref="Refused"/>.</summary>
public interface IBulkOutcomes
{
    /// <summary>Every event of <paramref name="part"/> (the batch, or a piece of it) was acknowledged; <paramref name="duplicates"/> as the server reported, if it did.</summary>
    void Accepted(EventBatch part, int? duplicates);

    /// <summary>The event at <paramref name="index"/> of <paramref name="part"/> was refused for itself (it is then set aside).</summary>
    void Refused(EventBatch part, int index, string error, int status);

    /// <summary>A transient failure; the same events are sent again after <paramref name="delay"/>.</summary>
    void Retrying(SendResult result, int attempt, TimeSpan delay);
}
