package tunnel

import (
	"context"
	"errors"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Routes declares /v1/services (this node's services) and /v1/forwards
// (this node's forwards to members' services).
func (s *Service) Routes(srv *api.Server) {
	s.serviceRoutes(srv)
	s.forwardRoutes(srv)
	s.printerRoutes(srv)
}

func (s *Service) printerRoutes(srv *api.Server) {
	api.Handle(srv, "GET /v1/printers", "The printers this node shares and those it added from members",
		func(ctx context.Context, r *http.Request, _ api.Empty) (PrinterList, error) {
			l, err := s.Printers(ctx)
			return l, apiError(err)
		})
	api.Handle(srv, "POST /v1/printers/shared", "Share a local IPP printer (a service of kind printer)",
		func(ctx context.Context, r *http.Request, req apitypes.PrinterShareRequest) (Config, error) {
			cfg, err := s.SharePrinter(ctx, req)
			if err != nil && !isAPIError(err) && !store.IsFull(err) {
				return cfg, api.BadRequest("%v", err)
			}
			return cfg, err
		})
	api.Handle(srv, "POST /v1/printers", "Add a member's printer: a persisted forward, advertised by DNS-SD and as a CUPS queue",
		func(ctx context.Context, r *http.Request, req apitypes.PrinterAddRequest) (Printer, error) {
			p, err := s.AddPrinter(ctx, req)
			return p, apiError(err)
		})
	api.Handle(srv, "DELETE /v1/printers", "Remove an added printer (MEMBER:NAME) or stop sharing one (NAME) (query 'what')",
		func(ctx context.Context, r *http.Request, _ api.Empty) (api.Empty, error) {
			return api.Empty{}, apiError(s.RemovePrinter(ctx, r.URL.Query().Get("what")))
		}, "what")
}

func isAPIError(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae)
}

func (s *Service) serviceRoutes(srv *api.Server) {
	api.Handle(srv, "GET /v1/services", "This node's TCP services with their access lists and counters",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Config, error) {
			return s.List(ctx)
		})
	api.Handle(srv, "POST /v1/services", "Offer a TCP service (host:port) to a workgroup",
		func(ctx context.Context, r *http.Request, req apitypes.ServiceAddRequest) (Config, error) {
			return s.addService(ctx, req, "")
		})
	api.Handle(srv, "PUT /v1/services/{name}/access", "Replace a service's access list",
		func(ctx context.Context, r *http.Request, req apitypes.ServiceSetRequest) (Config, error) {
			return s.setAccess(ctx, r.PathValue("name"), req)
		})
	api.Handle(srv, "GET /v1/services/of/{member}", "The services a member lets this node use",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]ServiceInfo, error) {
			info, err := workgroup.ResolveFor(s.dir, r.URL.Query().Get("workgroup"), r.PathValue("member"))
			if err != nil {
				return nil, api.BadRequest("%v", err)
			}
			m, ok := s.dir.ByName(info.ID, r.PathValue("member"))
			if !ok {
				return nil, api.NotFound("no member %q in workgroup %s", r.PathValue("member"), info.Name)
			}
			l, err := s.ServicesOf(ctx, m)
			return l, apiError(err)
		}, "workgroup")
	api.Handle(srv, "DELETE /v1/services/{name}", "Stop offering a service (its open tunnels are closed)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (api.Empty, error) {
			return api.Empty{}, apiError(s.removeService(ctx, r.PathValue("name")))
		})
}

// addService checks and stores a new service; path is a printer's IPP
// resource path ("" for other kinds; a printer without one gets
// DefaultIPPPath).
func (s *Service) addService(ctx context.Context, req apitypes.ServiceAddRequest, path string) (Config, error) {
	info, err := workgroup.Resolve(s.dir, req.Workgroup)
	if err != nil {
		return Config{}, api.BadRequest("%v", err)
	}
	rules, err := ParseRules(req.Allow)
	if err != nil {
		return Config{}, api.BadRequest("%v", err)
	}
	warnings, err := share.CheckRuleNames(s.dir, info.ID, rules, req.Force)
	if err != nil {
		return Config{}, err
	}
	remote, err := CheckTarget(req.Target)
	if err != nil {
		return Config{}, api.BadRequest("%v", err)
	}
	if remote && !req.AllowRemoteTarget {
		return Config{}, api.BadRequest("target %s is not on this machine's loopback: add --allow-remote-target to offer it", req.Target)
	}
	kind := req.Kind
	switch kind {
	case "":
		kind = KindTCP
	case KindTCP, KindHTTP, KindPrinter:
	default:
		return Config{}, api.BadRequest("kind %q: use tcp, http or printer", kind)
	}
	if kind == KindPrinter && path == "" {
		path = DefaultIPPPath
	}
	cfg, err := s.configs.Add(ctx, Config{Name: req.Name, Workgroup: info.ID, Target: req.Target, Kind: kind, Path: path, RemoteTarget: remote, Rules: rules})
	if errors.Is(err, ErrExists) {
		return cfg, api.Conflict("%v", err)
	}
	if store.IsFull(err) {
		return cfg, api.NoSpace(err)
	}
	if err != nil {
		return cfg, api.BadRequest("%v", err)
	}
	cfg.Warnings = warnings
	return cfg, nil
}

// setAccess replaces a service's access list, with share's check of the
// names it gives.
func (s *Service) setAccess(ctx context.Context, name string, req apitypes.ServiceSetRequest) (Config, error) {
	rules, err := ParseRules(req.Allow)
	if err != nil {
		return Config{}, api.BadRequest("%v", err)
	}
	if len(rules) == 0 {
		return Config{}, api.BadRequest("give at least one --allow WHO[=use|none]")
	}
	cur, err := s.configs.Get(ctx, name)
	if err != nil {
		return Config{}, apiError(err)
	}
	warnings, err := share.CheckRuleNames(s.dir, cur.Workgroup, rules, req.Force)
	if err != nil {
		return Config{}, err
	}
	if err := s.configs.SetRules(ctx, name, rules); err != nil {
		return Config{}, apiError(err)
	}
	s.cutRefused(ctx, name) // open tunnels the new list refuses end now
	cfg, err := s.configs.Get(ctx, name)
	cfg.Stats = s.serviceStats(name).snapshot()
	cfg.Warnings = warnings
	return cfg, apiError(err)
}

func (s *Service) forwardRoutes(srv *api.Server) {
	api.Handle(srv, "GET /v1/forwards", "This node's forwards to members' services",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Forward, error) {
			return s.Forwards(), nil
		})
	api.Handle(srv, "POST /v1/forwards", "Listen on 127.0.0.1 and carry each connection to MEMBER:SERVICE",
		func(ctx context.Context, r *http.Request, req apitypes.ForwardRequest) (Forward, error) {
			f, err := s.AddForward(ctx, ForwardRequest{Workgroup: req.Workgroup, Member: req.Member, Service: req.Service, Local: req.Local, Persist: req.Persist})
			return f, apiError(err)
		})
	api.Handle(srv, "DELETE /v1/forwards", "Stop forwards: a local address or MEMBER:SERVICE (query 'what')",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Forward, error) {
			gone, err := s.RemoveForward(ctx, r.URL.Query().Get("what"))
			return gone, apiError(err)
		}, "what")
}

// apiError maps the service's and the protocol's errors to API errors.
func apiError(err error) error {
	var re *RefusedError
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrNoService), errors.Is(err, ErrNoForward), errors.Is(err, ErrNoMember):
		return api.NotFound("%v", err)
	case errors.As(err, &re) && re.Wire.Code == wire.CodeNotFound:
		return api.NotFound("%v", err)
	case errors.As(err, &re) && re.Wire.Code == wire.CodeForbidden:
		return api.Forbidden("%v", err)
	case errors.As(err, &re) && re.Wire.Code == CodeTargetDown:
		return api.Errorf(http.StatusBadGateway, CodeTargetDown, "%v", err)
	case errors.Is(err, ErrUnreachable):
		return api.Unavailable("%v", err)
	case store.IsFull(err):
		return api.NoSpace(err)
	}
	return api.BadRequest("%v", err)
}
