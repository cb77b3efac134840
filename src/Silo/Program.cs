// Placeholder: the standalone silo host arrives with clustered deployment.
return 0;
