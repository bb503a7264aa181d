% SPDX-License-Identifier: MIT
function sol = ivpread(path, k)
%IVPREAD  Read an ivp HDF5 result into a struct like ode45's sol.
%   SOL = IVPREAD(PATH) reads a single-run file ("ivp-hdf5"). For an ensemble file
%   ("ivp-hdf5-ensemble") it returns a 1-by-K struct array, one element per member.
%   SOL = IVPREAD(PATH, K) reads member K of an ensemble, 1-based (ivp's member K-1).
%
%   Fields, as ode45's sol: x (1-by-N times), y (n-by-N states), xe, ye, ie (every event
%   in time order: times, n-by-E states, and the event's index, 1-based in the plugin's
%   order), stats (nsteps, nfailed, nfevals, npds, ndecomps), pp (mkpp form of the dense
%   output with increasing breaks, backward solves included; empty without /dense), solver
%   (the method). Also: status (0 reached the end, 1 terminal event, -1 failed, -2
%   interrupted; NaN if unreadable), message, success, event_names (cell, plugin order), te
%   and yee (per event: times and n-by-k states), params (struct), names (state names, cell),
%   y0, t_span, member (ivp's 0-based member number, ensembles only: in a shard file,
%   its member_offset + K - 1).
%
%   Evaluate the dense output with IVPVAL(SOL, T).
%
%   MATLAB reads the HDF5 attributes with h5readatt. Octave (whose load -hdf5 reads
%   datasets only, and no variable-length strings) takes status, message, counters, names
%   and the event order from the /info datasets when the file has them; otherwise those
%   fields are NaN or empty and the events come in alphabetical order (with a warning).
%   An ensemble file's /members (unreadable by Octave: variable-length strings) is read
%   from its /info copies, its event order from /info/event_names and a shard's first
%   member from /info/member_offset. Ensemble files written before ivp recorded the event
%   order give the events in alphabetical order (event_order_known false).

  if nargin < 1 || ~ischar(path)
    error('ivpread: usage: sol = ivpread(path) or ivpread(path, k)');
  end
  if ~exist(path, 'file')
    error('ivpread: %s: no such file', path);
  end
  f = open_file(path);
  fmt = f.attr('format');
  if strcmp(fmt, 'ivp-hdf5-ensemble') || (isempty(fmt) && ~f.matlab && f.has('members'))
    K = numel(vec(f.get('members/status')));
    if nargin >= 2
      if ~isscalar(k) || k ~= round(k) || k < 1 || k > K
        error('ivpread: %s: member %s out of range: the ensemble has %d members (1..%d)', ...
              path, num2str(k), K, K);
      end
      sol = read_member(f, k);
    else
      for j = K:-1:1
        sol(j) = read_member(f, j);
      end
    end
  elseif strcmp(fmt, 'ivp-hdf5') || (isempty(fmt) && ~f.matlab && f.has('t') && f.has('y'))
    if nargin >= 2
      error('ivpread: %s: a single-run file has no members', path);
    end
    sol = read_single(f);
  else
    error('ivpread: %s: not an ivp file (format "%s")', path, fmt);
  end
end

% ---------------------------------------------------------------------------------------
function sol = read_single(f)
  x = vec(f.get('t')).';
  Y = f.get('y');
  n = numel(Y) / max(numel(x), 1);
  y = reshape(Y, numel(x), n).';
  [names, order_known] = event_order(f);
  nev = numel(names);
  te = cell(1, nev);
  yee = cell(1, nev);
  for i = 1:nev
    te{i} = vec(f.get(['events/' names{i} '/t'])).';
    yee{i} = reshape(f.get(['events/' names{i} '/y']), numel(te{i}), n).';
  end
  pp = [];
  if f.has('dense')
    pp = make_pp(vec(f.get('dense/x')), f.get('dense/c'), n);
  end
  st = scalar_info(f);
  sol = assemble(f, x, y, names, te, yee, pp, st, order_known);
  sol.params = params_struct(vec(f.get('params')), info_strings(f, 'param_names', 'params', 'names'));
  if isempty(fieldnames(sol.params))
    sol.params = params_from_problem(f);
  end
  sol.y0 = vec(f.get('y0')).';
  sol.t_span = vec(f.get('t_span')).';
end

function sol = read_member(f, k)
  status = vec(f.get('members/status'));
  K = numel(status);
  Y = f.get('y');
  t = vec(f.get('t'));
  count = vec(f.get('members/count'));
  layout = info_string(f, 'layout');      % ivp writes /members/count for both layouts
  if strcmp(layout, 'stacked') || (isempty(layout) && isempty(count))
    N = numel(t);                         % stacked: /y (K, n, N) as h5py shows it
    n = numel(Y) / (N * K);
    Y = reshape(Y, N, n, K);
    x = t.';
    y = reshape(Y(:, :, k), N, n).';
    if numel(count) == K && count(k) < N  % a member stopped early: NaN after its count
      x = x(1:count(k));
      y = y(:, 1:count(k));
    end
  else                                    % ragged: /t (P,), /y (n, P), /members/count
    P = numel(t);
    n = numel(Y) / P;
    Y = reshape(Y, P, n);
    s = sum(count(1:k-1));
    idx = s + (1:count(k));
    x = t(idx).';
    y = Y(idx, :).';
  end
  [names, order_known] = event_order(f);
  member = member_offset(f) + k - 1;      % /events/<name>/member holds ivp's member numbers
  nev = numel(names);
  te = cell(1, nev);
  yee = cell(1, nev);
  for i = 1:nev
    et = vec(f.get(['events/' names{i} '/t']));
    ey = reshape(f.get(['events/' names{i} '/y']), numel(et), n);
    em = vec(f.get(['events/' names{i} '/member']));
    sel = (em == member);
    te{i} = et(sel).';
    yee{i} = ey(sel, :).';
  end
  pp = [];
  dc = vec(f.get('members/dense_count'));
  if ~isempty(dc) && dc(k) > 0
    X = vec(f.get('dense/x'));
    C = f.get('dense/c');                 % (n, S, d+1) as MATLAB and Octave show it
    S = sum(dc);
    C = reshape(C, n, S, []);
    s0 = sum(dc(1:k-1));
    pp = make_pp(X(s0 + k - 1 + (1:dc(k) + 1)), C(:, s0 + (1:dc(k)), :), n);
  end
  st.status = double(status(k));
  st.success = st.status >= 0;
  st.message = pick(strings_of(f.get('members/message')), k, '');
  keys = {'nfev', 'njev', 'nlu', 'n_steps', 'n_rejected'};
  for j = 1:numel(keys)
    v = vec(f.get(['members/' keys{j}]));
    if numel(v) == K
      st.(keys{j}) = double(v(k));
    else
      st.(keys{j}) = NaN;
    end
  end
  st.method = info_string(f, 'method');
  sol = assemble(f, x, y, names, te, yee, pp, st, order_known);
  P = f.get('members/params');
  pnames = info_strings(f, 'param_names', 'members/params', 'names');
  if ~isempty(P)
    P = reshape(P, [], K);
    sol.params = params_struct(P(:, k), pnames);
  else
    sol.params = struct();
  end
  y0 = f.get('members/y0');
  sol.y0 = [];
  if ~isempty(y0)
    y0 = reshape(y0, [], K);
    sol.y0 = y0(:, k).';
  end
  ts = f.get('members/t_span');
  sol.t_span = [];
  if ~isempty(ts)
    ts = reshape(ts, 2, K);
    sol.t_span = ts(:, k).';
  end
  sol.member = member;
end

function off = member_offset(f)
% A shard's first member (0 otherwise): /info/member_offset (Octave), the root attribute.
  off = f.get('info/member_offset');
  if isempty(off)
    off = f.attr('', 'member_offset');
  end
  if isempty(off)
    off = 0;
  end
  off = double(off(1));
end

function sol = assemble(f, x, y, names, te, yee, pp, st, order_known)
  n = size(y, 1);
  sol.solver = st.method;
  sol.x = x;
  sol.y = y;
  xe = [];
  ye = zeros(n, 0);
  ie = [];
  for i = 1:numel(names)
    xe = [xe, te{i}];                                     %#ok<AGROW>
    ye = [ye, yee{i}];                                    %#ok<AGROW>
    ie = [ie, i * ones(1, numel(te{i}))];                 %#ok<AGROW>
  end
  if ~isempty(xe)
    forward = numel(x) < 2 || x(end) >= x(1);
    if forward
      [~, p] = sort(xe);
    else
      [~, p] = sort(-xe);
    end
    xe = xe(p);
    ye = ye(:, p);
    ie = ie(p);
  end
  sol.xe = xe;
  sol.ye = ye;
  sol.ie = ie;
  sol.event_names = names;
  sol.event_order_known = order_known;
  sol.te = te;
  sol.yee = yee;
  sol.stats = struct('nsteps', st.n_steps, 'nfailed', st.n_rejected, 'nfevals', st.nfev, ...
                     'npds', st.njev, 'ndecomps', st.nlu);
  sol.status = st.status;
  sol.message = st.message;
  sol.success = st.success;
  sol.pp = pp;
  sol.names = info_strings(f, 'state_names', 'y', 'names');
end

% ---------------------------------------------------------------------------------------
function pp = make_pp(X, C, n)
% /dense/x (m+1,) and /dense/c (d+1, m, n) as h5py shows them (MATLAB/Octave: n-by-m-by-(d+1))
% to mkpp form. A backward solve has decreasing breaks and each piece expanded about its left
% end in the direction of integration (the larger t): reverse the pieces and re-expand each
% about its smaller end, t = x(j) - h, by a Taylor shift.
  X = X(:);
  m = numel(X) - 1;
  if m < 1
    pp = [];
    return;
  end
  C = reshape(C, n * m, []);              % row (j-1)*n + i: component i of piece j
  if X(end) < X(1)
    h = X(1:m) - X(2:m+1);                % > 0
    C = reshape(C, n, m, []);
    C = C(:, m:-1:1, :);
    h = h(m:-1:1);
    C = reshape(C, n * m, []);
    a = -reshape(repmat(h.', n, 1), [], 1);   % shift of each row
    d1 = size(C, 2);
    for i = 1:d1-1                        % repeated synthetic division: p(u + a)
      for j = 2:d1-i+1
        C(:, j) = C(:, j) + a .* C(:, j-1);
      end
    end
    X = X(end:-1:1);
  end
  pp = mkpp(X.', C, n);
end

% ---------------------------------------------------------------------------------------
function [names, known] = event_order(f)
% Event names in the plugin's order: /info/event_names (Octave), the groups' 'index'
% attributes (MATLAB; single-run format 1.1 and ensemble files); otherwise alphabetical.
  groups = f.groups('events');
  names = sort(groups);
  known = false;
  order = info_strings(f, 'event_names', '', '');
  if ~isempty(order) && isempty(setxor(order, groups))
    names = order;
    known = true;
    return;
  end
  if f.matlab && ~isempty(names)
    idx = zeros(1, numel(names));
    for i = 1:numel(names)
      v = f.attr(['events/' names{i}], 'index');
      if isempty(v)
        return;
      end
      idx(i) = double(v);
    end
    [~, p] = sort(idx);
    names = names(p);
    known = true;
  end
end

function st = scalar_info(f)
  keys = {'status', 'success', 'nfev', 'njev', 'nlu', 'n_steps', 'n_rejected'};
  missing = false;
  for j = 1:numel(keys)
    v = f.get(['info/' keys{j}]);
    if isempty(v)
      v = f.attr('', keys{j});
    end
    if isempty(v)
      v = NaN;
      missing = true;
    end
    st.(keys{j}) = double(v);
  end
  st.success = st.success ~= 0 & ~isnan(st.success);
  st.message = info_string(f, 'message');
  st.method = info_string(f, 'method');
  if missing && ~f.matlab
    warning('ivpread:noinfo', ['ivpread: %s has no /info datasets, and Octave cannot read ' ...
            'HDF5 attributes: status, message and counters are NaN/empty, events ' ...
            'in alphabetical order'], f.path);
  end
end

function s = info_string(f, key)
  s = strings_of(f.get(['info/' key]));
  if isempty(s)
    s = f.attr('', key);
  end
  if iscell(s)
    s = s{1};
  end
  if isempty(s)
    s = '';
  end
  s = char(s);
end

function c = info_strings(f, info_key, obj, attr_name)
% A string list: /info/<info_key> (a dataset), else the attribute attr_name of obj (MATLAB).
  c = {};
  if ~isempty(info_key)
    c = strings_of(f.get(['info/' info_key]));
  end
  if isempty(c) && ~isempty(attr_name) && f.matlab
    c = strings_of(f.attr(obj, attr_name));
  end
  if isempty(c) && isempty(attr_name) && ~isempty(obj)
    c = strings_of(f.get(obj));
  end
end

function c = strings_of(v)
  if isempty(v)
    c = {};
  elseif iscell(v)
    c = cellfun(@clean, v(:).', 'UniformOutput', false);
  elseif ischar(v)
    c = cellfun(@clean, cellstr(v).', 'UniformOutput', false);
  elseif isa(v, 'string')                 % MATLAB's string arrays
    c = cellfun(@clean, cellstr(v(:)).', 'UniformOutput', false);
  else
    c = {};
  end
end

function s = clean(s)
  s = char(s);
  s(s == char(0)) = [];
  s = deblank(s);
end

function v = pick(c, k, default)
  if numel(c) >= k
    v = c{k};
  else
    v = default;
  end
end

function p = params_struct(values, names)
  p = struct();
  if numel(names) == numel(values)
    for i = 1:numel(names)
      p.(names{i}) = double(values(i));
    end
  end
end

function p = params_from_problem(f)
% Format 1: the spec's "params" object in the root 'problem' attribute (MATLAB only).
  p = struct();
  text = f.attr('', 'problem');
  if ~isempty(text) && exist('jsondecode') > 0
    spec = jsondecode(char(text));
    if isfield(spec, 'params')
      p = spec.params;
    end
  end
end

function v = vec(v)
  v = double(v(:));
end

% ---------------------------------------------------------------------------------------
function f = open_file(path)
% Access to datasets and attributes: MATLAB's h5read/h5readatt/h5info, or Octave's
% load -hdf5 (datasets only), each top-level item loaded on its own, so one unreadable item
% (a variable-length string) does not hide the others.
  f.path = path;
  f.matlab = exist('h5read') > 0 && exist('h5readatt') > 0 && exist('h5info') > 0;
  if f.matlab
    f.get = @(name) matlab_get(path, name);
    f.has = @(name) ~isempty(matlab_groups(path, '', name));
    f.attr = @(varargin) matlab_attr(path, varargin{:});
    f.groups = @(name) matlab_groups(path, name, '');
  else
    S = struct();
    tops = {'t', 'y', 'dense', 'events', 'params', 'y0', 't_span', 'info', 'members'};
    unreadable = {};
    for i = 1:numel(tops)
      if strcmp(tops{i}, 'members') && ivp_ensemble_info(S)
        S.members = S.info;       % no attempt at /members: load -hdf5 would warn (below)
        continue;
      end
      lastwarn('');
      try
        s = load('-hdf5', path, tops{i});
        if isfield(s, tops{i})
          S.(tops{i}) = s.(tops{i});
        end
      catch
      end
      if ~isfield(S, tops{i}) && ~isempty(strfind(lastwarn(), 'error while reading hdf5 item'))
        unreadable{end+1} = tops{i};                      %#ok<AGROW>
      end
    end
    if ~isempty(unreadable)
      error(['ivpread: %s: Octave cannot read /%s (load -hdf5 fails on variable-length ' ...
             'strings; the file needs fixed-length strings there)'], path, unreadable{1});
    end
    f.get = @(name) octave_get(S, name);
    f.has = @(name) isfield(S, name);
    f.attr = @(varargin) [];
    f.groups = @(name) octave_groups(S, name);
  end
end

function yes = ivp_ensemble_info(S)
% An ensemble written by ivp: /info holds copies of /members (whose variable-length message
% and overrides strings make load -hdf5 drop it, warning) under the same names.
  yes = isfield(S, 'info') && isstruct(S.info) && isfield(S.info, 'layout') && ...
        isfield(S.info, 'status') && isfield(S.info, 'message');
end

function v = octave_get(S, name)
  parts = strsplit(name, '/');
  v = S;
  for i = 1:numel(parts)
    if ~isstruct(v) || ~isfield(v, parts{i})
      v = [];
      return;
    end
    v = v.(parts{i});
  end
end

function c = octave_groups(S, name)
  v = octave_get(S, name);
  c = {};
  if isstruct(v)
    fn = fieldnames(v);
    for i = 1:numel(fn)
      if isstruct(v.(fn{i}))
        c{end+1} = fn{i};                                 %#ok<AGROW>
      end
    end
  end
end

function v = matlab_get(path, name)
  try
    v = h5read(path, ['/' name]);
  catch
    v = [];
  end
end

function v = matlab_attr(path, obj, name)
  if nargin < 3                 % f.attr(name): a root attribute
    name = obj;
    obj = '';
  end
  try
    v = h5readatt(path, ['/' obj], name);
    if iscell(v) && numel(v) == 1
      v = v{1};
    end
  catch
    v = [];
  end
end

function c = matlab_groups(path, name, child)
% The subgroups of /name; with child, whether /child exists (non-empty result).
  c = {};
  try
    if ~isempty(child)
      h5info(path, ['/' child]);
      c = {child};
      return;
    end
    info = h5info(path, ['/' name]);
    for i = 1:numel(info.Groups)
      full = info.Groups(i).Name;
      c{end+1} = full(find(full == '/', 1, 'last') + 1:end); %#ok<AGROW>
    end
  catch
  end
end
