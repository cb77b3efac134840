using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace Flexprice.Api.Infrastructure;

/// <summary>Writes every property of an <see cref="EveryKeyAttribute"/> type, null or not, whatever the default ignore condition.</summary>
public static class EveryKeyJson
{
    public static void Modify(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || type.Type.GetCustomAttribute<EveryKeyAttribute>() is null)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            // A delegate of one's own replaces the ignore condition (JsonIgnoreCondition.WhenWritingNull) for this property.
            property.ShouldSerialize = static (_, _) => true;
        }
    }
}
