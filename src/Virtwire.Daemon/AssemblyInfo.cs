// virtwired manages Linux hypervisors and serves unix sockets with Linux permissions.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
