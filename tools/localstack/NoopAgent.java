// LocalStack always starts DynamoDB Local with -javaagent:ddb-local-loader-0.1.jar, an agent it
// downloads to lift the 20-index limit; offline it gets this agent instead, which does nothing.
public final class NoopAgent {
    public static void premain(String args) {}
}
