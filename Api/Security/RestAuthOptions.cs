namespace OrleansConnect.Api.Security;

/// <summary>Settings of the REST API's HTTP Basic authentication (on when the host registers a
/// <see cref="CredentialsStore"/> with <see cref="RestAuthentication.AddConnectApiBasicAuth"/>).</summary>
public sealed class RestAuthOptions
{
    /// <summary>The realm of the WWW-Authenticate challenge.</summary>
    public string Realm { get; set; } = "OrleansConnect";

    /// <summary>How often the credentials file is checked for changes.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The role a request needs, from its method and path (null: open to everyone). Default: the Connect REST
    /// API's rules (<see cref="RestRoles.Required"/>); the schema registry's listener sets its own.</summary>
    public Func<string, string, RestRole?> RequiredRole { get; set; } = RestRoles.Required;
}
