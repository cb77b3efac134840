namespace Flexprice.Importer.Input;

public enum InputFormat
{
    /// <summary>One JSON event object per line, as the API takes it.</summary>
    Ndjson,

    /// <summary>A header row, then one event per record: <c>event_name, external_customer_id, event_id, timestamp, source, customer_id</c> and <c>properties.&lt;name&gt;</c>.</summary>
    Csv,
}
