// swagger-ui-dist ships no types; these are the few options of its bundle the API docs page uses.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  export interface SwaggerRequest {
    url: string;
    /** Absent on the fetch of the document itself. */
    method?: string;
    headers?: Record<string, string>;
    credentials?: RequestCredentials;
  }

  export interface SwaggerUIOptions {
    url: string;
    dom_id: string;
    deepLinking?: boolean;
    /** Whether tags start unfolded (`list`), fully unfolded (`full`) or folded (`none`). */
    docExpansion?: "list" | "full" | "none";
    /** `null` turns off the badge that would send the document to an online validator. */
    validatorUrl?: string | null;
    tryItOutEnabled?: boolean;
    persistAuthorization?: boolean;
    displayRequestDuration?: boolean;
    requestInterceptor?: (request: SwaggerRequest) => SwaggerRequest;
  }

  const SwaggerUIBundle: (options: SwaggerUIOptions) => unknown;
  export default SwaggerUIBundle;
}
