// The API's feature folders (TodoApi's layout): each holds its routes, its records and what serves them.
global using Flexprice.Api.ApiKeys;
global using Flexprice.Api.Contracts;
global using Flexprice.Api.Customers;
global using Flexprice.Api.Debugger;
global using Flexprice.Api.Events;
global using Flexprice.Api.Features;
global using Flexprice.Api.Health;
global using Flexprice.Api.Infrastructure;
global using Flexprice.Api.Search;
global using Flexprice.Api.Usage;
global using Flexprice.Grains.Abstractions;
