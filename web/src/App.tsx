import { Navigate, Route, Routes, useLocation } from "react-router";
import { AuthProvider, useAuth } from "./lib/auth";
import { Layout } from "./components/Layout";
import { Loading, NotFound } from "./components/States";
import { Login, SignUp } from "./pages/Auth";
import { Dashboard } from "./pages/Dashboard";
import { ModelEdit } from "./pages/ModelEdit";
import { ModelPage } from "./pages/ModelPage";
import { RulesEditor } from "./pages/RulesEditor";
import { RunPage } from "./pages/RunPage";
import { Compare } from "./pages/Compare";
import { Leaderboard } from "./pages/Leaderboard";
import { Admin } from "./pages/Admin";

export function App() {
  return (
    <AuthProvider>
      <Pages />
    </AuthProvider>
  );
}

function Pages() {
  const { user } = useAuth();
  const location = useLocation();
  if (user === undefined) return <Loading what="Starting" />;
  if (user === null) {
    return (
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route path="/signup" element={<SignUp />} />
        <Route path="*" element={<Navigate to="/signup" replace state={{ from: location.pathname + location.search }} />} />
      </Routes>
    );
  }
  return (
    <Layout>
      <Routes>
        <Route path="/" element={<Dashboard />} />
        <Route path="/login" element={<Navigate to="/" replace />} />
        <Route path="/signup" element={<Navigate to="/" replace />} />
        <Route path="/models/new" element={<ModelEdit />} />
        <Route path="/models/:id" element={<ModelPage />} />
        <Route path="/models/:id/edit" element={<ModelEdit />} />
        <Route path="/models/:id/rules" element={<RulesEditor />} />
        <Route path="/runs/:id" element={<RunPage />} />
        <Route path="/compare" element={<Compare />} />
        <Route path="/leaderboard" element={<Leaderboard />} />
        <Route path="/admin" element={user.role === "admin" ? <Admin /> : <NotFound detail="This page is for admins." />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Layout>
  );
}
