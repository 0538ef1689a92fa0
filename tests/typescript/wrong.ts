// Calls the generated types must refuse. Each line after `@ts-expect-error` is wrong; if the generated types
// were loose (`any`, or a path left out), tsc would report the directive as unused and the check would fail.
import { connect } from "./client";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Alert = components["schemas"]["AlertRow"];

export async function wrongCalls(baseUrl: string, departmentId: string, alert: Alert): Promise<void> {
  const client = createClient<paths>({ baseUrl });
  const api = connect(baseUrl);

  // @ts-expect-error `titel` is no field of CreateAlert (and `title` is required)
  await client.POST("/api/v1/alerts", { body: { titel: "Fall", priority: "high", alertType: "medical", departmentId } });

  // @ts-expect-error "urgent" is not a priority: low, medium, high, critical
  await api.createAlert({ title: "Fall", priority: "urgent", alertType: "medical", departmentId });

  // @ts-expect-error no such path: the list of open alerts is /api/v1/alerts/active
  await client.GET("/api/v1/alerts/open");

  // @ts-expect-error the login body is {email, password}
  await client.POST("/api/v1/auth/login", { body: { username: "a@example.org", password: "x" } });

  // @ts-expect-error an alert has `priority`, not `severity`
  console.log(alert.severity);

  // @ts-expect-error `status` is one of active, acknowledged, resolved, cancelled
  const closed: Alert["status"] = "closed";
  console.log(closed);
}
