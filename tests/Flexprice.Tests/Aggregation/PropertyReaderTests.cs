using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;
using static Flexprice.Tests.Aggregation.Features;

namespace Flexprice.Tests.Aggregation;

public sealed class PropertyReaderTests
{
    [Theory]
    [InlineData("""{"value": 5}""", "5")]
    [InlineData("""{"value": -2.5}""", "-2.5")]
    [InlineData("""{"value": 0.1}""", "0.1")]
    [InlineData("""{"value": 1e3}""", "1000")]
    [InlineData("""{"value": "5"}""", "5")]
    [InlineData("""{"value": "-0.75"}""", "-0.75")]
    [InlineData("""{"value": "1e3"}""", "1000")]
    [InlineData("""{"value": "12.50", "other": true}""", "12.50")]
    [InlineData("""{"value": 1e20}""", "100000000000000000000")]
    [InlineData("""{"value": "-1e20"}""", "-100000000000000000000")]
    public void Sum_and_max_accept_numbers_and_numeric_strings(string properties, string expected)
    {
        foreach (var type in new[] { AggregationType.Sum, AggregationType.Max })
        {
            var ok = PropertyReader.TryRead(Json(properties), Of(type), out var input, out var error);

            Assert.True(ok, error);
            Assert.Null(error);
            Assert.Equal(decimal.Parse(expected, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture), input.Number);
            Assert.Null(input.Text);
        }
    }

    [Theory]
    [InlineData("""{"value": "abc"}""")]
    [InlineData("""{"value": ""}""")]
    [InlineData("""{"value": "1,000"}""")]
    [InlineData("""{"value": "0x10"}""")]
    [InlineData("""{"value": "NaN"}""")]
    [InlineData("""{"value": true}""")]
    [InlineData("""{"value": false}""")]
    [InlineData("""{"value": {"amount": 1}}""")]
    [InlineData("""{"value": [1]}""")]
    [InlineData("""{"value": 1e400}""")]
    [InlineData("""{"value": 100000000000000000000.01}""")]
    [InlineData("""{"value": -1e21}""")]
    [InlineData("""{"value": "79228162514264337593543950335"}""")]
    public void Sum_and_max_reject_what_is_not_a_number_within_1e20(string properties)
    {
        foreach (var type in new[] { AggregationType.Sum, AggregationType.Max })
        {
            var ok = PropertyReader.TryRead(Json(properties), Of(type), out _, out var error);

            Assert.False(ok);
            Assert.Equal($"Property 'value' must be a number or a numeric string, at most 1e20 in magnitude, for feature '{type.ToWireName()}' ({type.ToWireName()} aggregation)", error);
        }
    }

    [Theory]
    [InlineData("""{"value": null}""")]
    [InlineData("""{"other": 1}""")]
    [InlineData("""{"Value": 1}""")]
    [InlineData("""{}""")]
    public void Null_or_missing_field_is_missing(string properties)
    {
        foreach (var type in new[] { AggregationType.Sum, AggregationType.Max, AggregationType.Latest, AggregationType.CountUnique })
        {
            var ok = PropertyReader.TryRead(Json(properties), Of(type), out _, out var error);

            Assert.False(ok);
            Assert.Equal($"Missing required property 'value' for feature '{type.ToWireName()}' ({type.ToWireName()} aggregation)", error);
        }
    }

    [Fact]
    public void Absent_properties_are_missing_for_a_field_and_fine_for_count()
    {
        Assert.False(PropertyReader.TryRead(default, Of(AggregationType.Sum), out _, out var error));
        Assert.StartsWith("Missing required property 'value'", error, StringComparison.Ordinal);

        Assert.True(PropertyReader.TryRead(default, Of(AggregationType.Count), out _, out error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"value": "anything"}""")]
    [InlineData("""{"value": {"nested": 1}}""")]
    public void Count_reads_nothing(string properties)
    {
        Assert.True(PropertyReader.TryRead(Json(properties), Of(AggregationType.Count), out var input, out var error));
        Assert.Null(error);
        Assert.Equal(default, input);
    }

    [Fact]
    public void Latest_keeps_a_string_as_text()
    {
        Assert.True(PropertyReader.TryRead(Json("""{"value": "gold"}"""), Of(AggregationType.Latest), out var input, out _));
        Assert.Equal("gold", input.Text);
    }

    [Fact]
    public void Latest_keeps_a_numeric_string_as_text()
    {
        Assert.True(PropertyReader.TryRead(Json("""{"value": "42"}"""), Of(AggregationType.Latest), out var input, out _));
        Assert.Equal("42", input.Text);
    }

    [Theory]
    [InlineData("""{"value": 42}""", "42")]
    [InlineData("""{"value": -0.5}""", "-0.5")]
    [InlineData("""{"value": 2.50}""", "2.50")]
    public void Latest_reads_a_number_as_a_decimal(string properties, string expected)
    {
        Assert.True(PropertyReader.TryRead(Json(properties), Of(AggregationType.Latest), out var input, out _));
        Assert.Null(input.Text);
        Assert.Equal(expected, input.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("""{"value": true}""")]
    [InlineData("""{"value": {"a": 1}}""")]
    [InlineData("""{"value": [1, 2]}""")]
    public void Latest_rejects_what_is_neither_number_nor_string(string properties)
    {
        Assert.False(PropertyReader.TryRead(Json(properties), Of(AggregationType.Latest), out _, out var error));
        Assert.Equal("Property 'value' must be a number or a string for feature 'LATEST' (LATEST aggregation)", error);
    }

    [Theory]
    [InlineData("""{"value": "eu"}""", "\"eu\"")]
    [InlineData("""{"value": "1"}""", "\"1\"")]
    [InlineData("""{"value": 1}""", "1")]
    [InlineData("""{"value": 1.50}""", "1.50")]
    [InlineData("""{"value": true}""", "true")]
    [InlineData("""{"value": false}""", "false")]
    public void Count_unique_takes_a_scalar_as_its_json_text(string properties, string key)
    {
        Assert.True(PropertyReader.TryRead(Json(properties), Of(AggregationType.CountUnique), out var input, out _));
        Assert.Equal(key, input.UniqueKey);
    }

    [Theory]
    [InlineData("""{"value": {"a": 1}}""")]
    [InlineData("""{"value": []}""")]
    [InlineData("""{"value": ["a"]}""")]
    public void Count_unique_rejects_objects_and_arrays(string properties)
    {
        Assert.False(PropertyReader.TryRead(Json(properties), Of(AggregationType.CountUnique), out _, out var error));
        Assert.Equal("Property 'value' must be a string, number or boolean for feature 'COUNT_UNIQUE' (COUNT_UNIQUE aggregation)", error);
    }

    [Fact]
    public void Properties_that_are_not_an_object_are_missing_the_field()
    {
        Assert.False(PropertyReader.TryRead(Json("[1, 2]"), Of(AggregationType.Sum), out _, out var error));
        Assert.StartsWith("Missing required property", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3", true, "3")]
    [InlineData("\"3.25\"", true, "3.25")]
    [InlineData("\" 7 \"", true, "7")]
    [InlineData("\"seven\"", false, "0")]
    [InlineData("null", false, "0")]
    [InlineData("true", false, "0")]
    public void Try_read_number(string json, bool ok, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(ok, PropertyReader.TryReadNumber(document.RootElement, out var number));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), number);
    }
}
