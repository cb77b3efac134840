using Flexprice.Silo;
using Microsoft.Extensions.Hosting;

// A silo on its own, for clustered deployments whose API nodes are Orleans clients.
var builder = Host.CreateApplicationBuilder(args);
builder.AddFlexpriceSilo();
await builder.Build().RunAsync();
